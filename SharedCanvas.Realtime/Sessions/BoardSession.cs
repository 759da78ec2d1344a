using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using SharedCanvas.Realtime.Auth;
using SharedCanvas.Realtime.Fanout;
using SharedCanvas.Realtime.Pipeline;
using SharedCanvas.Realtime.Protocol;
using SharedCanvas.Realtime.Sockets;
using SharedCanvas.Realtime.Storage;

namespace SharedCanvas.Realtime.Sessions;

/// <summary>
/// One client's session on one board (docs/protocol.md §3): awaiting <c>hello</c>, catching up (replay,
/// while live operations are held back), live, closing. It reads each message its <see cref="SocketPump"/>
/// hands it, charges it to a budget, and dispatches it — an operation to the <see cref="OpPipeline"/>, a
/// renewal to the token validator — and it is what fan-out writes to (<see cref="IBoardMember"/>).
/// </summary>
public sealed partial class BoardSession : IBoardMember
{
    private readonly SocketPump _pump;
    private readonly SessionServices _services;
    private readonly FloodGuard _flood;
    private readonly ILogger _logger;
    private readonly byte[] _authorPart;
    private BoardPrincipal _principal;
    private byte[]? _clientId;
    private byte[]? _clientPart;
    private BoardHub? _hub;
    private int _forbiddenWrites;
    private bool _announced;
    private Activity? _request;
    private ActivityContext _requestContext;

    public BoardSession(string id, WebSocket socket, BoardPrincipal principal, SessionServices services)
    {
        _services = services;
        _principal = principal;
        _logger = services.Logger;
        _pump = new SocketPump(id, socket, services.Options.MaxMessageBytes, services.Options.SendQueueCapacity, services.Telemetry, services.Time, services.Logger);
        _flood = new FloodGuard(services.Options.RateLimitedCloseAfter);
        Id = id;
        Keys = services.Hubs.KeysFor(principal.BoardId);
        Color = UserColors.For(principal.UserId);
        OpenedAt = services.Time.GetUtcNow();
        _authorPart = OpEnvelope.AuthorPart(principal.UserId);
    }

    public string Id { get; }

    public BoardKeys Keys { get; private set; }

    public string Color { get; }

    public DateTimeOffset OpenedAt { get; }

    public BoardPrincipal Principal => _principal;

    /// <summary>Runs the session until its socket closes.</summary>
    public async Task RunAsync(CancellationToken requestAborted)
    {
        using var link = requestAborted.Register(static state => ((SocketPump)state!).Abort(), _pump);

        // The upgrade request's span lasts as long as the socket; per-message spans only link to it.
        _request = Activity.Current;
        _requestContext = _request?.Context ?? default;
        Activity.Current = null;
        using var scope = _logger.BeginScope(new ConnectionLogScope(Id, _principal.BoardId, _principal.UserId));

        _services.Registry.Add(this);
        _services.Telemetry.OpenConnections.Add(1);
        LogOpened(Id, _principal.BoardId, _principal.UserId, _principal.Role.ToWire());
        try
        {
            // welcome first: the client may say hello before it reads it, and its replay must come after.
            var head = await _services.Log.GetHeadAsync(Keys);
            Enqueue(ServerMessages.Welcome(_principal, Id, Color, _services.ServerName, head, _services.OpLimits, _services.Options));
            await _pump.ReceiveAsync(HandleMessageAsync);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException or System.Threading.Channels.ChannelClosedException)
        {
            // The peer vanished, the socket was aborted (its queue is then closed) or the server is stopping.
        }
        catch (Exception ex) when (ex is StackExchange.Redis.RedisException || Contracts.DatabaseOutage.Is(ex))
        {
            // Redis or the snapshots' database did not answer (a restart, say): not a fault of ours or the
            // client's. It comes back with backoff and resumes (docs/protocol.md, 1013).
            LogDependencyAway(ex, Id);
            RequestClose(CloseCodes.TryAgainLater, "storage unavailable; reconnect and resume");
        }
        catch (Exception ex)
        {
            LogFailed(ex, Id);
            RequestClose(CloseCodes.InternalError, "internal error");
        }
        finally
        {
            await EndAsync();
        }
    }

    private async Task EndAsync()
    {
        _ = _services.UserSockets.ReleaseAsync(_principal.UserId, Id);
        _hub?.Remove(this);
        if (_announced)
        {
            try
            {
                await _hub!.DepartAsync(Id);
            }
            catch (Exception ex) when (ex is StackExchange.Redis.RedisException or TimeoutException)
            {
                // The entry expires by itself; other replicas then announce the departure.
            }
        }

        _services.Registry.Remove(this);
        _services.Telemetry.OpenConnections.Add(-1);
        lock (_gate)
        {
            _mode = Mode.Closing;
            _buffered = null;
        }

        await _pump.CompleteAsync();
        if (_pump.Close is { } close && _request is not null)
        {
            _request.AddEvent(new ActivityEvent("socket closed", tags: new ActivityTagsCollection
            {
                ["websocket.close.code"] = (int)close.Status,
                ["websocket.close.reason"] = close.Reason,
            }));
            if (close.Status is not (CloseCodes.Normal or CloseCodes.GoingAway))
            {
                _request.SetStatus(ActivityStatusCode.Error, $"{(int)close.Status} {close.Reason}");
            }
        }

        LogClosed(Id, _pump.CloseCode);
    }

    /// <summary>Closes the session: no more deliveries; the socket finishes with a close frame.</summary>
    public void RequestClose(WebSocketCloseStatus status, string reason)
    {
        lock (_gate)
        {
            _mode = Mode.Closing;
            _buffered = null;
        }

        _pump.RequestClose(status, reason);
    }

    private async ValueTask HandleMessageAsync(ReadOnlyMemory<byte> message)
    {
        var status = ClientMessageReader.Parse(message.Span, out var parsed, out var detail);
        // Operations are traced (one trace per stroke); so is every refused message, to show why.
        using var receive = parsed.Type == ClientMessageType.Op || status != ParseStatus.Ok
            ? RealtimeTelemetry.StartReceive(status == ParseStatus.Ok ? message.Span[parsed.TraceParent] : default,
                _requestContext, _principal.BoardId, Id, _principal.UserId, message.Length)
            : null;
        var now = _services.Time.GetUtcNow();
        if (IsExpired(now))
        {
            _services.Telemetry.Refuse("token_expired");
            RequestClose(CloseCodes.TokenExpired, "token expired");
            return;
        }

        if (status is ParseStatus.InvalidJson or ParseStatus.SchemaViolation)
        {
            _services.Telemetry.Refuse("invalid_message");
            RequestClose(CloseCodes.InvalidMessage, detail ?? "invalid message");
            return;
        }

        _services.Telemetry.MessagesReceived.Add(1, new KeyValuePair<string, object?>("type", WireNames.Of(parsed.Type)));
        // Every message costs from a budget before anything answers it: cursors from a budget of their own
        // (they only replace the socket's latest position), everything else, unknown types too, from the
        // socket's and its user's. Refusals add up to a close (1008), so a flood of any kind ends.
        var allowed = parsed.Type == ClientMessageType.Cursor
            ? _services.Limits.TryCursor(Id)
            : _services.Limits.TryMessage(Id, _principal.UserId);
        if (!allowed)
        {
            RateLimited(now, parsed.Type == ClientMessageType.Op ? parsed.N : null);
            return;
        }

        switch (parsed.Type)
        {
            case ClientMessageType.Unknown:
                _services.Telemetry.Refuse("unknown_type");
                if (_flood.MayAnswerUnknown(now))
                {
                    Enqueue(ServerMessages.Error(ErrorCodes.UnknownType, "unknown message type"));
                }

                break;
            case ClientMessageType.Op:
                await HandleOpAsync(message, parsed, now, receive);
                break;
            case ClientMessageType.Hello:
                await HandleHelloAsync(message.Span[parsed.Client].ToArray(), parsed.HasSince ? parsed.Since : null, parsed.Batch);
                break;
            case ClientMessageType.Auth:
                await HandleAuthAsync(Encoding.UTF8.GetString(message.Span[parsed.Token]));
                break;
            case ClientMessageType.Ping:
                Enqueue(ServerMessages.Pong(parsed.PingT));
                break;
            case ClientMessageType.History:
                await HandleHistoryAsync(now);
                break;
            case ClientMessageType.Version:
                await HandleVersionAsync(parsed.Seq, now);
                break;
            case ClientMessageType.Cursor:
                // Only the latest position is kept; the hub sends it with the others about 25 times a second.
                (_cursorX, _cursorY, _cursorGone) = (parsed.X, parsed.Y, parsed.CursorGone);
                if (parsed.HasView)
                {
                    _view = new ViewRect(parsed.ViewX, parsed.ViewY, parsed.ViewWidth, parsed.ViewHeight);
                }

                Volatile.Write(ref _cursorMoved, 1);
                break;
        }
    }

    private async ValueTask HandleOpAsync(ReadOnlyMemory<byte> message, ClientMessage parsed, DateTimeOffset now, Activity? receive)
    {
        if (_clientId is null || _clientPart is null || _mode == Mode.AwaitingHello)
        {
            Enqueue(ServerMessages.Error(ErrorCodes.NotReady, "send hello first", parsed.N));
            return;
        }

        RealtimeTelemetry.TagMessageId(receive, _clientId, parsed.N);
        var outcome = await _services.Pipeline.AppendAsync(new OpRequest(Keys, _principal, Id, _clientId, _clientPart, _authorPart,
            parsed.N, message[parsed.Op], message[parsed.TraceParent], now, receive, parsed.At));
        switch (outcome.Verdict)
        {
            case OpVerdict.Appended:
                // Its acknowledgement comes with the fan-out, in sequence order.
                _hub?.NoteAppended(outcome.Seq);
                break;
            case OpVerdict.Duplicate:
                AcknowledgeDuplicate(parsed.N, outcome.Seq);
                break;
            case OpVerdict.Unknown:
                Enqueue(ServerMessages.Error(ErrorCodes.UnknownOp, "too old to tell whether it was stored; not applied", parsed.N));
                break;
            case OpVerdict.Invalid:
                Enqueue(ServerMessages.Error(ErrorCodes.InvalidOp, outcome.Detail!, parsed.N));
                break;
            case OpVerdict.RateLimited:
                RateLimited(now, parsed.N);
                break;
            case OpVerdict.Forbidden:
                Enqueue(ServerMessages.Error(ErrorCodes.Forbidden, outcome.Detail!, parsed.N));
                if (++_forbiddenWrites >= 3)
                {
                    RequestClose(CloseCodes.Forbidden, "writes without the role");
                }

                break;
            case OpVerdict.BoardDeleted:
                RequestClose(CloseCodes.BoardDeleted, "board deleted");
                break;
            case OpVerdict.AccessWithdrawn:
                // The token predates a removal or a role change: the client fetches a new one (or learns it has none).
                RequestClose(CloseCodes.TokenExpired, "access changed; renew the token");
                break;
            case OpVerdict.ClientIdTaken:
                RequestClose(CloseCodes.PolicyViolation, "client id in use by another person");
                break;
            case OpVerdict.LogUnavailable:
                RequestClose(CloseCodes.TryAgainLater, "the board's log is unavailable; reconnect and resend");
                break;
        }
    }

    /// <summary>A message over a budget: dropped, answered within bounds, and the socket closed if it goes on (<see cref="FloodGuard"/>).</summary>
    private void RateLimited(DateTimeOffset now, long? n)
    {
        _services.Telemetry.Refuse("rate_limited");
        switch (_flood.Refused(now, n is not null))
        {
            case FloodAnswer.Close:
                RequestClose(CloseCodes.PolicyViolation, "too many messages");
                break;
            case FloodAnswer.Answer:
                Enqueue(ServerMessages.Error(ErrorCodes.RateLimited, "too many messages; slow down", n));
                break;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Socket {ConnectionId} opened on board {BoardId} by user {UserId} as {Role}")]
    private partial void LogOpened(string connectionId, string boardId, string userId, string role);

    [LoggerMessage(Level = LogLevel.Information, Message = "Socket {ConnectionId} closed ({CloseCode})")]
    private partial void LogClosed(string connectionId, int closeCode);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Socket {ConnectionId} closed with 1013: Redis or the database did not answer")]
    private partial void LogDependencyAway(Exception exception, string connectionId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Socket {ConnectionId} failed")]
    private partial void LogFailed(Exception exception, string connectionId);
}
