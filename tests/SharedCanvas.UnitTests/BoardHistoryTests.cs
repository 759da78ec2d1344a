using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using SharedCanvas.Realtime.Model;
using SharedCanvas.Realtime.Storage;

namespace SharedCanvas.UnitTests;

/// <summary>
/// A board's history in the realtime database (docs/storage.md "History"), on a real SQLite file with the
/// shipped migrations: every folded operation is kept with its snapshot, any version within the retention
/// is the fold of the operations up to it, and the retention thins what is older without breaking that.
/// </summary>
public sealed class BoardHistoryTests : IAsyncLifetime
{
    private const string Board = "0123456789abcdef0123456789abcdef";

    private readonly string _file = Path.Combine(Path.GetTempPath(), $"history-{Guid.NewGuid():N}.db");
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 9, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly HistoryOptions _options = new() { CheckpointEvery = 100, CheckpointInterval = TimeSpan.FromMinutes(10) };
    private IDbContextFactory<RealtimeDbContext> _databases = null!;
    private BoardHistory _history = null!;
    private SnapshotStore _snapshots = null!;

    public async Task InitializeAsync()
    {
        _databases = new Factory(new DbContextOptionsBuilder<RealtimeDbContext>().UseSqlite($"Data Source={_file};Pooling=false").Options);
        await using (var db = await _databases.CreateDbContextAsync())
        {
            await db.Database.MigrateAsync();
        }

        _history = new BoardHistory(_databases, Microsoft.Extensions.Options.Options.Create(_options), _time, NullLogger<BoardHistory>.Instance);
        _snapshots = new SnapshotStore(_databases, _history, _time);
    }

    public Task DisposeAsync()
    {
        File.Delete(_file);
        return Task.CompletedTask;
    }

    /// <summary>Operation <paramref name="seq"/> of a board two people draw on: adds, moves and deletes.</summary>
    private LogEntry Operation(long seq)
    {
        var author = seq % 3 == 0 ? "u-bea" : "u-ann";
        var op = (seq % 7) switch
        {
            3 when seq > 7 => $$$"""{"k":"delete","ids":["e{{{seq - 7}}}"]}""",
            5 when seq > 2 => $$$"""{"k":"update","ids":["e{{{seq - 1}}}"],"dx":5,"dy":0}""",
            _ => $$$"""{"k":"add","el":{"id":"e{{{seq}}}","t":"rect","pts":[{{{seq}}},0,{{{seq + 10}}},10]}}""",
        };
        var ts = _time.GetUtcNow().ToUnixTimeMilliseconds();
        return new LogEntry(seq, Encoding.UTF8.GetBytes(
            $$"""{"type":"op","seq":{{seq}},"client":"c","n":{{seq}},"ts":{{ts}},"author":"{{author}}","op":{{op}}}"""));
    }

    /// <summary>What the saver does: fold the entries after the stored snapshot, and store both in one step.</summary>
    private async Task<bool> SaveAsync(long from, long to, long? replaces = null)
    {
        var stored = await _snapshots.LoadAsync(Board);
        var state = BoardState.Load(stored.Seq, stored.Elements);
        var folded = new List<LogEntry>();
        for (var seq = from; seq <= to; seq++)
        {
            var entry = Operation(seq);
            state.ApplyMessage(entry.Message);
            folded.Add(entry);
        }

        var record = new HistoryRecord(folded, await _history.IsCheckpointDueAsync(Board, state.Seq));
        return await _snapshots.SaveAsync(Board, replaces ?? stored.Seq, new Snapshot(state.Seq, state.SerializeElements(), state.Count), record);
    }

    private string FoldedUpTo(long seq)
    {
        var state = BoardState.Load(0, Snapshot.Empty.Elements);
        for (var s = 1; s <= seq; s++)
        {
            state.ApplyMessage(Operation(s).Message);
        }

        return Encoding.UTF8.GetString(state.SerializeElements());
    }

    private async Task<string?> VersionAsync(long seq) =>
        await _history.VersionAsync(Board, seq) is { } state ? Encoding.UTF8.GetString(state.SerializeElements()) : null;

    private async Task<List<long>> CheckpointsAsync()
    {
        await using var db = await _databases.CreateDbContextAsync();
        return await db.Checkpoints.Where(c => c.BoardId == Board).OrderBy(c => c.Seq).Select(c => c.Seq).ToListAsync();
    }

    [Fact]
    public async Task EverySavedOperationIsKeptAndAnyVersionIsTheFoldUpToIt()
    {
        Assert.True(await SaveAsync(1, 150));
        Assert.True(await SaveAsync(151, 230));
        _time.Advance(TimeSpan.FromMinutes(11));
        Assert.True(await SaveAsync(231, 240));
        Assert.True(await SaveAsync(241, 260));

        // The first save (there was none); not 80 operations on; 10 minutes on; not 20 operations on.
        Assert.Equal([150, 240], await CheckpointsAsync());
        foreach (var seq in new long[] { 1, 2, 77, 149, 150, 151, 229, 230, 231, 245, 260 })
        {
            Assert.Equal(FoldedUpTo(seq), await VersionAsync(seq));
        }

        await using var db = await _databases.CreateDbContextAsync();
        var kept = await db.Operations.Where(o => o.BoardId == Board).OrderBy(o => o.Seq).ToListAsync();
        Assert.Equal(Enumerable.Range(1, 260).Select(s => (long)s), kept.Select(o => o.Seq));
        Assert.Equal("u-bea", kept[2].Author);
        Assert.Equal(_time.GetUtcNow().UtcDateTime, kept[^1].At);
    }

    [Fact]
    public async Task ASaveThatLosesToAnotherSaverStoresNoHistory()
    {
        Assert.True(await SaveAsync(1, 20));
        Assert.False(await SaveAsync(21, 40, replaces: 5));

        await using var db = await _databases.CreateDbContextAsync();
        Assert.Equal(20, await db.Operations.CountAsync());
        Assert.Equal(20, (await _snapshots.LoadAsync(Board)).Seq);
        Assert.Null(await VersionAsync(30));
    }

    [Fact]
    public async Task TheRetentionKeepsADailyCheckpointAndEveryVersionWithinIt()
    {
        // Day 1: three checkpoints; day 2: two; then, 90 days and 12 hours after day 1, more work.
        Assert.True(await SaveAsync(1, 120));
        Assert.True(await SaveAsync(121, 230));
        Assert.True(await SaveAsync(231, 340));
        _time.Advance(TimeSpan.FromDays(1));
        Assert.True(await SaveAsync(341, 450));
        Assert.True(await SaveAsync(451, 470));
        _time.Advance(TimeSpan.FromMinutes(11));
        Assert.True(await SaveAsync(471, 480));
        Assert.Equal([120, 230, 340, 450, 480], await CheckpointsAsync());
        _time.Advance(TimeSpan.FromDays(89) + TimeSpan.FromHours(12));
        Assert.True(await SaveAsync(481, 500));

        var deleted = await _history.PruneAsync();

        // Only day 1 is older than 90 days: it keeps its last checkpoint, and the operations up to it go.
        Assert.Equal([340, 450, 480, 500], await CheckpointsAsync());
        Assert.Equal(340 + 2, deleted);
        Assert.Equal(FoldedUpTo(340), await VersionAsync(340));
        Assert.Equal(FoldedUpTo(450), await VersionAsync(450));
        Assert.Null(await VersionAsync(300));
        foreach (var seq in new long[] { 451, 470, 480, 490, 500 })
        {
            Assert.Equal(FoldedUpTo(seq), await VersionAsync(seq));
        }

        Assert.Equal(0, await _history.PruneAsync());
    }

    [Fact]
    public async Task ADeletedBoardTakesItsHistoryWithIt()
    {
        Assert.True(await SaveAsync(1, 50));

        await _snapshots.DeleteAsync(Board);

        await using var db = await _databases.CreateDbContextAsync();
        Assert.Equal(0, await db.Operations.CountAsync());
        Assert.Equal(0, await db.Checkpoints.CountAsync());
    }

    private sealed class Factory(DbContextOptions<RealtimeDbContext> options) : IDbContextFactory<RealtimeDbContext>
    {
        public RealtimeDbContext CreateDbContext() => new(options);
    }
}

/// <summary>The History view's moments: pauses and long sessions split them; each names who worked in it.</summary>
public sealed class HistoryMomentsTests
{
    private static readonly DateTime T0 = new(2026, 12, 1, 9, 0, 0, DateTimeKind.Utc);

    [Fact]
    public void APauseOfMoreThanTwoMinutesOrAMomentLongerThanFifteenStartsTheNext()
    {
        var stamps = new List<HistoryStamp>
        {
            new(1, T0, "ann"),
            new(2, T0.AddSeconds(30), "bea"),
            new(3, T0.AddSeconds(60), "ann"),
            // A pause of 2 min 1 s.
            new(4, T0.AddSeconds(181), "bea"),
        };
        // Then steady work, one operation a minute, for 20 minutes.
        for (var i = 0; i < 20; i++)
        {
            stamps.Add(new(5 + i, T0.AddSeconds(181 + 60 * (i + 1)), "cy"));
        }

        var moments = HistoryMoments.Group(stamps);

        Assert.Equal(3, moments.Count);
        Assert.Equal((1L, 3L, 3), (moments[0].From, moments[0].To, moments[0].Count));
        Assert.Equal(["ann", "bea"], moments[0].Authors);
        Assert.Equal(T0.AddSeconds(60), moments[0].End);
        Assert.Equal((4L, 19L), (moments[1].From, moments[1].To)); // 15 minutes from its first operation
        Assert.Equal(["bea", "cy"], moments[1].Authors);
        Assert.Equal((20L, 24L, 5), (moments[2].From, moments[2].To, moments[2].Count));
        Assert.Equal(24, moments.Sum(m => m.Count));
        Assert.Empty(HistoryMoments.Group([]));
    }
}
