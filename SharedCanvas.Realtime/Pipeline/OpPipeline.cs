using System.Buffers;
using System.Diagnostics;
using Microsoft.Extensions.Options;
using SharedCanvas.Realtime.Auth;
using SharedCanvas.Realtime.Extensions;
using SharedCanvas.Realtime.Protocol;
using SharedCanvas.Realtime.Storage;

namespace SharedCanvas.Realtime.Pipeline;

/// <summary>One operation as a session hands it over: who sends it, in which socket's name, and its bytes.</summary>
/// <param name="ClientPart">The sender's <c>,"client":"…"</c>, written once per socket.</param>
/// <param name="AuthorPart">The sender's <c>,"author":"…"</c>, written once per socket.</param>
/// <param name="TraceParent">The browser's <c>traceparent</c> (continued when nothing traces here).</param>
/// <param name="Receive">The span of the message's receipt, if traced.</param>
/// <param name="InputAt">The sender's claimed time of the input the operation carries (Unix ms), 0 if absent.</param>
public readonly record struct OpRequest(
    BoardKeys Keys, BoardPrincipal Principal, string ConnectionId, byte[] ClientId, byte[] ClientPart, byte[] AuthorPart,
    long N, ReadOnlyMemory<byte> Op, ReadOnlyMemory<byte> TraceParent, DateTimeOffset Now, Activity? Receive, long InputAt = 0);

/// <summary>What became of an operation.</summary>
public enum OpVerdict
{
    /// <summary>Appended at <see cref="OpOutcome.Seq"/>; its acknowledgement travels with the fan-out.</summary>
    Appended,

    /// <summary>A resend of something stored: acknowledge again (<see cref="OpOutcome.Seq"/> 0 when no longer kept).</summary>
    Duplicate,

    /// <summary>A resend too old to tell whether it was stored; nothing applied.</summary>
    Unknown,

    /// <summary>The operation's content is invalid (<see cref="OpOutcome.Detail"/> says why).</summary>
    Invalid,

    /// <summary>Over the socket's rate of new elements.</summary>
    RateLimited,

    /// <summary>The sender's role does not allow it (<see cref="OpOutcome.Detail"/> says why).</summary>
    Forbidden,

    BoardDeleted,

    /// <summary>The socket's token predates a withdrawal of access or a role change.</summary>
    AccessWithdrawn,

    /// <summary>The client id belongs to another person on this board.</summary>
    ClientIdTaken,

    /// <summary>The board's log could not be written (Redis away); nothing was acknowledged.</summary>
    LogUnavailable,
}

public readonly record struct OpOutcome(OpVerdict Verdict, long Seq = 0, string? Detail = null);

/// <summary>
/// The path of one operation from a session to the log (docs/protocol.md §4.1, §5): validate its content,
/// limit new elements, authorize it by role, wrap it in the server's envelope (seq aside, which the log
/// assigns) and append it — durable, numbered and published in one step. It keeps no state of its own; the
/// session decides what the client hears. Tested without a stack through <see cref="IOperationLog"/>.
/// </summary>
public sealed partial class OpPipeline(IOperationLog log, MessageLimits limits, OpLimits opLimits, RealtimeTelemetry telemetry, ILogger<OpPipeline> logger)
{
    public OpPipeline(IOperationLog log, MessageLimits limits, IOptions<RealtimeOptions> options, RealtimeTelemetry telemetry, ILogger<OpPipeline> logger)
        : this(log, limits, new OpLimits(options.Value.MaxPointsPerBatch, options.Value.MaxTextLength), telemetry, logger)
    {
    }

    public async ValueTask<OpOutcome> AppendAsync(OpRequest request)
    {
        var receive = request.Receive;
        var op = request.Op;
        var invalid = OpValidator.Validate(op.Span, opLimits, out var info);
        if (invalid is not null)
        {
            telemetry.Refuse("invalid_op", receive);
            return new OpOutcome(OpVerdict.Invalid, Detail: invalid);
        }

        var elementId = info.ElementId.End.Value > 0 ? op[info.ElementId] : default;
        RealtimeTelemetry.TagOperation(receive, WireNames.Of(info.Kind), elementId.Span);
        if (info.Kind == OpKind.Add && !limits.TryAdd(request.ConnectionId))
        {
            return new OpOutcome(OpVerdict.RateLimited);
        }

        if (Authorize(request.Principal.Role, info.Kind, receive) is { } forbidden)
        {
            return new OpOutcome(OpVerdict.Forbidden, Detail: forbidden);
        }

        var (append, publish) = RealtimeTelemetry.StartAppend(receive, request.Principal.BoardId);
        using (append)
        using (publish)
        {
            var traceParent = publish is not null ? System.Text.Encoding.ASCII.GetBytes(RealtimeTelemetry.Inject(publish) ?? "") : request.TraceParent;
            var tail = ArrayPool<byte>.Shared.Rent(OpEnvelope.TailLength(request.ClientPart.Length, request.AuthorPart.Length, op.Length) + elementId.Length);
            try
            {
                var timestamp = request.Now.ToUnixTimeMilliseconds();
                var length = OpEnvelope.WriteTail(tail, request.ClientPart, request.N, timestamp, traceParent.Span, elementId.Span, request.InputAt, request.AuthorPart, op.Span);
                AppendResult result;
                try
                {
                    result = await log.AppendAsync(request.Keys, request.ClientId, request.N, tail.AsMemory(0, length), timestamp,
                        request.Principal.UserId, request.Principal.BoardRevision);
                }
                catch (Exception ex) when (ex is StackExchange.Redis.RedisException or TimeoutException)
                {
                    // Nothing was acknowledged. The client reconnects with backoff and resends everything
                    // unacknowledged, which is also how it recovers from every other failure.
                    LogAppendFailed(ex, request.Principal.BoardId);
                    append?.SetStatus(ActivityStatusCode.Error, ex.Message);
                    RealtimeTelemetry.Refused(receive, "log_unavailable");
                    return new OpOutcome(OpVerdict.LogUnavailable);
                }

                foreach (var span in (ReadOnlySpan<Activity?>)[receive, append, publish])
                {
                    RealtimeTelemetry.Appended(span, result.Seq, result.Applied);
                }

                return Outcome(result, info.Kind, receive);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(tail);
            }
        }
    }

    /// <summary>Why <paramref name="role"/> may not do <paramref name="kind"/>, or null: writes need an editor, clearing the owner.</summary>
    private string? Authorize(BoardRole role, OpKind kind, Activity? receive)
    {
        using var authorize = RealtimeTelemetry.StartChild("authorize", ActivityKind.Internal, receive);
        authorize?.SetTag("sharedcanvas.role", role.ToWire());
        if (role.CanWrite() && (kind != OpKind.Clear || role == BoardRole.Owner))
        {
            return null;
        }

        telemetry.Refuse("forbidden", authorize);
        RealtimeTelemetry.Refused(receive, "forbidden");
        return role.CanWrite() ? "only the owner may clear the board" : "viewers cannot change the board";
    }

    private OpOutcome Outcome(AppendResult result, OpKind kind, Activity? receive)
    {
        switch (result.Outcome)
        {
            case AppendOutcome.Applied:
                telemetry.OpsAppended.Add(1, new KeyValuePair<string, object?>("kind", WireNames.Of(kind)));
                return new OpOutcome(OpVerdict.Appended, result.Seq);
            case AppendOutcome.Duplicate:
                return new OpOutcome(OpVerdict.Duplicate, result.Seq);
            case AppendOutcome.Unknown:
                telemetry.Refuse("op_unknown", receive);
                return new OpOutcome(OpVerdict.Unknown);
            case AppendOutcome.BoardDeleted:
                telemetry.Refuse("board_deleted", receive);
                return new OpOutcome(OpVerdict.BoardDeleted);
            case AppendOutcome.AccessWithdrawn:
                telemetry.Refuse("access_withdrawn", receive);
                return new OpOutcome(OpVerdict.AccessWithdrawn);
            case AppendOutcome.NotReplicated:
                // In the log, but not yet on the replicas an acknowledgement needs: the client resends it.
                telemetry.Refuse("not_replicated", receive);
                return new OpOutcome(OpVerdict.LogUnavailable);
            default:
                telemetry.Refuse("client_taken", receive);
                return new OpOutcome(OpVerdict.ClientIdTaken);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Board {BoardId}: append failed")]
    private partial void LogAppendFailed(Exception exception, string boardId);
}
