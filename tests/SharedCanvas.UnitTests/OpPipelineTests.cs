using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SharedCanvas.Realtime;
using SharedCanvas.Realtime.Auth;
using SharedCanvas.Realtime.Extensions;
using SharedCanvas.Realtime.Pipeline;
using SharedCanvas.Realtime.Protocol;
using SharedCanvas.Realtime.Storage;

namespace SharedCanvas.UnitTests;

/// <summary>The op pipeline (validate, limit, authorize, envelope, append) against a log that records what it is given.</summary>
public sealed class OpPipelineTests : IDisposable
{
    private const string Board = "0123456789abcdef0123456789abcdef";

    private sealed class RecordingLog : IOperationLog
    {
        public List<(byte[] Client, long N, byte[] Tail, string User, long Revision)> Appends { get; } = [];

        public AppendResult Next { get; set; } = new(AppendOutcome.Applied, 0);

        public Exception? Failure { get; set; }

        public Task<AppendResult> AppendAsync(BoardKeys keys, byte[] clientId, long n, ReadOnlyMemory<byte> tail, long timestamp, string userId, long boardRevision)
        {
            if (Failure is not null)
            {
                throw Failure;
            }

            Appends.Add((clientId, n, tail.ToArray(), userId, boardRevision));
            return Task.FromResult(Next.Outcome == AppendOutcome.Applied && Next.Seq == 0 ? Next with { Seq = Appends.Count } : Next);
        }
    }

    private readonly RecordingLog _log = new();
    private readonly MessageLimits _limits;
    private readonly RealtimeTelemetry _telemetry = new(new TestMeterFactory());
    private readonly OpPipeline _pipeline;

    public OpPipelineTests()
    {
        var options = Options.Create(new RealtimeOptions { AddsPerSecond = 1, AddBurst = 2 });
        _limits = new MessageLimits(options);
        _pipeline = new OpPipeline(_log, _limits, options, _telemetry, NullLogger<OpPipeline>.Instance);
    }

    private static BoardPrincipal As(BoardRole role, long boardRevision = 0) =>
        new("user-1", "ada", Board, role, DateTimeOffset.UtcNow.AddMinutes(5), 0, boardRevision);

    private ValueTask<OpOutcome> AppendAsync(string op, BoardRole role = BoardRole.Editor, long n = 1, long boardRevision = 0)
    {
        var clientId = "client-one"u8.ToArray();
        return _pipeline.AppendAsync(new OpRequest(new BoardKeys(Board), As(role, boardRevision), "c-1", clientId, OpEnvelope.ClientPart(clientId),
            OpEnvelope.AuthorPart("user-1"), n, Encoding.UTF8.GetBytes(op), default, DateTimeOffset.FromUnixTimeMilliseconds(1_767_000_000_000), null));
    }

    private const string Pen = """{"k":"add","el":{"id":"p1","t":"pen","pts":[1,2,0.5]}}""";

    [Fact]
    public async Task AnEditorsOperationIsAppendedInTheServersEnvelope()
    {
        var outcome = await AppendAsync(Pen, n: 7, boardRevision: 3);

        Assert.Equal(OpVerdict.Appended, outcome.Verdict);
        Assert.Equal(1, outcome.Seq);
        var (client, n, tail, user, revision) = Assert.Single(_log.Appends);
        Assert.Equal("client-one", Encoding.UTF8.GetString(client));
        Assert.Equal((7, "user-1", 3L), (n, user, revision));
        // The log puts the head and the seq in front; the rest is the stored message as every client reads it.
        using var message = JsonDocument.Parse(Encoding.UTF8.GetBytes("""{"type":"op","seq":1""").Concat(tail).ToArray());
        var root = message.RootElement;
        Assert.Equal("client-one", root.GetProperty("client").GetString());
        Assert.Equal(7, root.GetProperty("n").GetInt64());
        Assert.Equal(1_767_000_000_000, root.GetProperty("ts").GetInt64());
        Assert.Equal("p1", root.GetProperty("eid").GetString());
        Assert.Equal("user-1", root.GetProperty("author").GetString());
        Assert.Equal("p1", root.GetProperty("op").GetProperty("el").GetProperty("id").GetString());
    }

    [Fact]
    public async Task AViewersWriteIsForbiddenAndNeverReachesTheLog()
    {
        var outcome = await AppendAsync(Pen, BoardRole.Viewer);

        Assert.Equal(OpVerdict.Forbidden, outcome.Verdict);
        Assert.Empty(_log.Appends);
    }

    [Fact]
    public async Task OnlyTheOwnerMayClear()
    {
        Assert.Equal(OpVerdict.Forbidden, (await AppendAsync("""{"k":"clear"}""", BoardRole.Editor)).Verdict);
        Assert.Equal(OpVerdict.Appended, (await AppendAsync("""{"k":"clear"}""", BoardRole.Owner)).Verdict);
        Assert.Single(_log.Appends);
    }

    [Fact]
    public async Task InvalidContentIsRefusedWithItsReason()
    {
        var outcome = await AppendAsync("""{"k":"add","el":{"id":"p1","t":"pen","color":"red","pts":[1,2,0.5]}}""");

        Assert.Equal(OpVerdict.Invalid, outcome.Verdict);
        Assert.Contains("color", outcome.Detail);
        Assert.Empty(_log.Appends);
    }

    [Fact]
    public async Task NewElementsBeyondTheBurstAreRateLimitedButOtherOperationsAreNot()
    {
        Assert.Equal(OpVerdict.Appended, (await AppendAsync(Pen, n: 1)).Verdict);
        Assert.Equal(OpVerdict.Appended, (await AppendAsync(Pen, n: 2)).Verdict);
        Assert.Equal(OpVerdict.RateLimited, (await AppendAsync(Pen, n: 3)).Verdict);
        Assert.Equal(OpVerdict.Appended, (await AppendAsync("""{"k":"points","id":"p1","pts":[3,4,0.5]}""", n: 4)).Verdict);
    }

    [Theory]
    [InlineData(AppendOutcome.Duplicate, 12, OpVerdict.Duplicate)]
    [InlineData(AppendOutcome.Unknown, 0, OpVerdict.Unknown)]
    [InlineData(AppendOutcome.BoardDeleted, 0, OpVerdict.BoardDeleted)]
    [InlineData(AppendOutcome.AccessWithdrawn, 0, OpVerdict.AccessWithdrawn)]
    [InlineData(AppendOutcome.ClientIdTaken, 0, OpVerdict.ClientIdTaken)]
    public async Task WhatTheLogSaysIsWhatTheSessionHears(AppendOutcome logSays, long seq, OpVerdict verdict)
    {
        _log.Next = new AppendResult(logSays, seq);

        var outcome = await AppendAsync(Pen);

        Assert.Equal((verdict, seq), (outcome.Verdict, outcome.Seq));
    }

    [Fact]
    public async Task ALogThatCannotBeWrittenAcknowledgesNothing()
    {
        _log.Failure = new StackExchange.Redis.RedisConnectionException(StackExchange.Redis.ConnectionFailureType.SocketFailure, "gone");

        Assert.Equal(OpVerdict.LogUnavailable, (await AppendAsync(Pen)).Verdict);
    }

    [Fact]
    public void TheFloodGuardAnswersOperationsAlwaysOthersOnceASecondAndClosesAFlood()
    {
        var guard = new FloodGuard(closeAfter: 5);
        var now = DateTimeOffset.UnixEpoch.AddDays(1);
        Assert.Equal(FloodAnswer.Answer, guard.Refused(now, isOperation: false));
        Assert.Equal(FloodAnswer.Silent, guard.Refused(now, isOperation: false));
        Assert.Equal(FloodAnswer.Answer, guard.Refused(now, isOperation: true));
        Assert.Equal(FloodAnswer.Answer, guard.Refused(now.AddSeconds(1), isOperation: false));
        Assert.Equal(FloodAnswer.Close, guard.Refused(now.AddSeconds(1), isOperation: false));
        // Ten quiet seconds and the count starts again.
        Assert.Equal(FloodAnswer.Answer, guard.Refused(now.AddSeconds(12), isOperation: false));
        Assert.True(guard.MayAnswerUnknown(now));
        Assert.False(guard.MayAnswerUnknown(now.AddMilliseconds(500)));
    }

    public void Dispose()
    {
        _limits.Dispose();
        _telemetry.Dispose();
    }

    private sealed class TestMeterFactory : System.Diagnostics.Metrics.IMeterFactory
    {
        private readonly List<System.Diagnostics.Metrics.Meter> _meters = [];

        public System.Diagnostics.Metrics.Meter Create(System.Diagnostics.Metrics.MeterOptions options)
        {
            var meter = new System.Diagnostics.Metrics.Meter(options);
            _meters.Add(meter);
            return meter;
        }

        public void Dispose() => _meters.ForEach(m => m.Dispose());
    }
}
