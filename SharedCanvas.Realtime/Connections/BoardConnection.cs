using System.Buffers;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Threading.Channels;
using SharedCanvas.Realtime.Auth;
using SharedCanvas.Realtime.Fanout;
using SharedCanvas.Realtime.Protocol;
using SharedCanvas.Realtime.Storage;

namespace SharedCanvas.Realtime.Connections;

/// <summary>
/// One client's socket on one board. A receive loop reads, checks and appends the client's messages in
/// order; a send loop is the only writer to the socket and drains a bounded queue that fan-out fills
/// without ever waiting, so a slow reader cannot slow the board: when its queue overflows it is closed
/// (1013) and resumes on reconnect.
/// </summary>
public sealed partial class BoardConnection
{
    private const int InitialReceiveBuffer = 4096;
    private const int ReplayPage = 1000;
    private const int MaxBufferedWhileCatchingUp = 100_000;
    /// <summary>A batch frame holds at most this many bytes; a larger message goes in a frame of its own.</summary>
    private const int MaxBatchBytes = 32 * 1024;
    private const int MaxBatchMessages = 256;
    private static readonly TimeSpan CloseHandshakeTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan SlowReaderCloseTimeout = TimeSpan.FromSeconds(30);

    private readonly WebSocket _socket;
    private readonly SocketServices _services;
    private readonly Channel<Outgoing> _outgoing;
    private readonly CancellationTokenSource _abort = new();
    private readonly Lock _gate = new();
    private readonly ILogger _logger;

    private BoardPrincipal _principal;
    private Mode _mode = Mode.AwaitingHello;
    private List<Buffered>? _buffered;
    private long _lastSeqSent;
    private byte[]? _clientId;
    private byte[]? _clientPart;
    private readonly byte[] _authorPart;
    private BoardHub? _hub;
    private int _forbiddenWrites;
    private (WebSocketCloseStatus Status, string Reason)? _close;
    private volatile bool _closeRequested;
    private volatile bool _discardQueued;
    private volatile bool _batch;

    private enum Mode
    {
        AwaitingHello,
        CatchingUp,
        Live,
        Closing,
    }

    private readonly record struct Buffered(long Seq, byte[]? Message, long N, long Timestamp);

    /// <summary>A message for the socket; <c>Timestamp</c> (Unix ms of the operation's arrival) times fan-out.</summary>
    private readonly record struct Outgoing(ReadOnlyMemory<byte> Bytes, long Timestamp = 0);

    /// <summary>What fan-out did with one operation for this socket.</summary>
    internal enum Delivery
    {
        Skipped,
        Sent,
        Acknowledged,
        Buffered,
        Dropped,
    }

    private Activity? _request;
    private ActivityContext _requestContext;

    public BoardConnection(string id, WebSocket socket, BoardPrincipal principal, SocketServices services)
    {
        _socket = socket;
        _principal = principal;
        _services = services;
        _logger = services.Logger;
        Id = id;
        Keys = services.Hubs.KeysFor(principal.BoardId);
        Color = UserColors.For(principal.UserId);
        OpenedAt = services.Time.GetUtcNow();
        _authorPart = OpEnvelope.AuthorPart(principal.UserId);
        _outgoing = Channel.CreateBounded<Outgoing>(new BoundedChannelOptions(services.Options.SendQueueCapacity)
        {
            SingleReader = true,
            SingleWriter = false,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    public string Id { get; }

    public BoardKeys Keys { get; private set; }

    public string Color { get; }

    public DateTimeOffset OpenedAt { get; }

    public BoardPrincipal Principal => _principal;

    public bool HelloReceived => _mode != Mode.AwaitingHello;

    public bool IsLive => _mode == Mode.Live;

    private double _cursorX;
    private double _cursorY;
    private bool _cursorGone;
    private int _cursorMoved;
    private bool _announced;

    /// <summary>The latest cursor position if it moved since the last call (the hub publishes it, coalesced).</summary>
    internal (double X, double Y, bool Gone)? TakeCursor() =>
        Interlocked.Exchange(ref _cursorMoved, 0) == 1 ? (_cursorX, _cursorY, _cursorGone) : null;

    /// <summary>Runs the socket until it closes. Returns once both loops have ended.</summary>
    public async Task RunAsync(CancellationToken requestAborted)
    {
        using var link = requestAborted.Register(static state => ((BoardConnection)state!).Abort(), this);

        // The upgrade request's span lasts as long as the socket; per-message spans only link to it.
        _request = Activity.Current;
        _requestContext = _request?.Context ?? default;
        Activity.Current = null;
        using var scope = _logger.BeginScope(new ConnectionLogScope(Id, _principal.BoardId, _principal.UserId));

        _services.Registry.Add(this);
        _services.Telemetry.OpenConnections.Add(1);
        LogOpened(Id, _principal.BoardId, _principal.UserId, _principal.Role.ToWire());

        var sending = SendLoopAsync();
        try
        {
            var head = await _services.Log.GetHeadAsync(Keys);
            Enqueue(ServerMessages.Welcome(_principal, Id, Color, _services.ServerName, head, _services.OpLimits, _services.Options));
            await ReceiveLoopAsync();
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException or ChannelClosedException)
        {
            // The peer vanished, the socket was aborted (its queue is then closed) or the server is stopping.
        }
        catch (Exception ex)
        {
            LogFailed(ex, Id);
            RequestClose(CloseCodes.InternalError, "internal error");
        }
        finally
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

            _outgoing.Writer.TryComplete();
            using (var timeout = new CancellationTokenSource(CloseHandshakeTimeout))
            {
                try
                {
                    await sending.WaitAsync(timeout.Token);
                }
                catch (OperationCanceledException)
                {
                    Abort();
                }
            }

            if (_socket.State != WebSocketState.Closed)
            {
                _socket.Abort();
            }

            var code = _close?.Status is { } status ? (int)status : (int?)_socket.CloseStatus ?? 0;
            if (_close is { } close && _request is not null)
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

            LogClosed(Id, code);
            _abort.Dispose();
        }
    }

    /// <summary>Asks the send loop to finish with a close frame; the receive loop ends when the peer answers.</summary>
    public void RequestClose(WebSocketCloseStatus status, string reason)
    {
        lock (_gate)
        {
            if (_close is not null)
            {
                return;
            }

            _close = (status, reason);
            _closeRequested = true;
            _mode = Mode.Closing;
            _buffered = null;
        }

        _services.Telemetry.Closes.Add(1, new KeyValuePair<string, object?>("code", (int)status));
        _outgoing.Writer.TryComplete();
        // If the peer never answers the close frame, stop waiting for it.
        _ = Task.Delay(CloseHandshakeTimeout).ContinueWith(static (_, state) => ((BoardConnection)state!).Abort(), this, TaskScheduler.Default);
    }

    /// <summary>
    /// Ends both loops at once. Sends and receives are given no cancellation token (with one, every send takes
    /// the WebSocket's slow path and registers with the token, twice), so it is aborting the WebSocket that
    /// ends a send stuck behind a peer that stopped reading, or a receive from one that went silent.
    /// </summary>
    private void Abort(bool abortSocket = true)
    {
        _discardQueued = true;
        _outgoing.Writer.TryComplete();
        if (abortSocket)
        {
            _socket.Abort();
        }

        try
        {
            _abort.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private async Task ReceiveLoopAsync()
    {
        var maxBytes = _services.Options.MaxMessageBytes;
        while (true)
        {
            // Wait for the next message without holding a buffer: idle sockets cost no receive memory.
            var first = await _socket.ReceiveAsync(Memory<byte>.Empty, CancellationToken.None);
            if (first.MessageType == WebSocketMessageType.Close)
            {
                return;
            }

            var buffer = ArrayPool<byte>.Shared.Rent(InitialReceiveBuffer);
            try
            {
                var count = 0;
                var type = first.MessageType;
                var end = first.EndOfMessage;
                while (!end)
                {
                    if (count == buffer.Length)
                    {
                        if (buffer.Length > maxBytes)
                        {
                            break;
                        }

                        var larger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, maxBytes + 1));
                        buffer.AsSpan(0, count).CopyTo(larger);
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = larger;
                    }

                    var result = await _socket.ReceiveAsync(buffer.AsMemory(count, Math.Min(buffer.Length, maxBytes + 1) - count), CancellationToken.None);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        return;
                    }

                    type = result.MessageType;
                    count += result.Count;
                    end = result.EndOfMessage;
                    if (count > maxBytes)
                    {
                        break;
                    }
                }

                if (_closeRequested)
                {
                    continue;
                }

                if (count > maxBytes)
                {
                    Refuse("too_big");
                    RequestClose(CloseCodes.MessageTooBig, "message larger than the limit");
                    continue;
                }

                if (type == WebSocketMessageType.Binary)
                {
                    Refuse("binary");
                    RequestClose(CloseCodes.BinaryFrame, "binary frames are not accepted");
                    continue;
                }

                await HandleMessageAsync(buffer.AsMemory(0, count));
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
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
            Refuse("token_expired");
            RequestClose(CloseCodes.TokenExpired, "token expired");
            return;
        }

        if (status is ParseStatus.InvalidJson or ParseStatus.SchemaViolation)
        {
            Refuse("invalid_message");
            RequestClose(CloseCodes.InvalidMessage, detail ?? "invalid message");
            return;
        }

        _services.Telemetry.MessagesReceived.Add(1, new KeyValuePair<string, object?>("type", MessageTypeName(parsed.Type)));
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

        if (status == ParseStatus.UnknownType)
        {
            Refuse("unknown_type");
            // Answered at most once a second: the answers to refused messages are bounded too.
            if (now - _lastUnknownError >= TimeSpan.FromSeconds(1))
            {
                _lastUnknownError = now;
                Enqueue(ServerMessages.Error(ErrorCodes.UnknownType, "unknown message type"));
            }

            return;
        }

        switch (parsed.Type)
        {
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
            case ClientMessageType.Cursor:
                // Only the latest position is kept; the hub sends it with the others about 25 times a second.
                (_cursorX, _cursorY, _cursorGone) = (parsed.X, parsed.Y, parsed.CursorGone);
                Volatile.Write(ref _cursorMoved, 1);
                break;
        }
    }

    private async ValueTask HandleOpAsync(ReadOnlyMemory<byte> message, ClientMessage parsed, DateTimeOffset now, Activity? receive)
    {
        receive?.SetTag("messaging.message.id", $"{Encoding.ASCII.GetString(_clientId ?? [])}:{parsed.N}");
        if (_mode == Mode.AwaitingHello || _clientPart is null)
        {
            Enqueue(ServerMessages.Error(ErrorCodes.NotReady, "send hello first", parsed.N));
            return;
        }

        var op = message[parsed.Op];
        var invalid = OpValidator.Validate(op.Span, _services.OpLimits, out var info);
        if (receive is not null && invalid is null)
        {
            receive.SetTag("sharedcanvas.op.kind", KindName(info.Kind));
            if (info.ElementId.End.Value > 0)
            {
                receive.SetTag("sharedcanvas.element.id", Encoding.UTF8.GetString(op.Span[info.ElementId]));
            }
        }

        if (invalid is not null)
        {
            Refuse("invalid_op");
            Enqueue(ServerMessages.Error(ErrorCodes.InvalidOp, invalid, parsed.N));
            return;
        }

        if (info.Kind == OpKind.Add && !_services.Limits.TryAdd(Id))
        {
            RateLimited(now, parsed.N);
            return;
        }

        using var authorize = RealtimeTelemetry.StartChild("authorize", ActivityKind.Internal, receive);
        var role = _principal.Role;
        authorize?.SetTag("sharedcanvas.role", role.ToWire());
        if (!role.CanWrite() || (info.Kind == OpKind.Clear && role != BoardRole.Owner))
        {
            Refuse("forbidden", authorize);
            RealtimeTelemetry.Refused(receive, "forbidden");
            Enqueue(ServerMessages.Error(ErrorCodes.Forbidden, role.CanWrite() ? "only the owner may clear the board" : "viewers cannot change the board", parsed.N));
            if (++_forbiddenWrites >= 3)
            {
                RequestClose(CloseCodes.Forbidden, "writes without the role");
            }

            return;
        }

        authorize?.Dispose();

        // The durable append and the publish are one Redis script; the publish span's context is what
        // travels in the stored message, so every replica's fan-out continues this trace.
        using var append = RealtimeTelemetry.StartChild($"append {RealtimeTelemetry.Destination}", ActivityKind.Client, receive);
        append?.SetTag("db.system.name", "redis");
        append?.SetTag("db.system", "redis"); // the name the Aspire dashboard reads ("DATA redis …")
        append?.SetTag("db.operation.name", "EVALSHA");
        using var publish = RealtimeTelemetry.StartChild($"publish {RealtimeTelemetry.Destination}", ActivityKind.Producer, append);
        publish?.SetTag("messaging.system", "sharedcanvas");
        publish?.SetTag("messaging.operation.type", "send");
        publish?.SetTag("messaging.operation.name", "publish");
        publish?.SetTag(RealtimeTelemetry.DashboardOperation, "publish");
        publish?.SetTag("messaging.destination.name", _principal.BoardId);
        var traceParent = publish is not null ? Encoding.ASCII.GetBytes(RealtimeTelemetry.Inject(publish) ?? "")
            : parsed.TraceParent.End.Value > 0 ? message.Span[parsed.TraceParent].ToArray() : [];
        var elementId = info.ElementId.End.Value > 0 ? op.Span[info.ElementId] : default;
        var tail = ArrayPool<byte>.Shared.Rent(OpEnvelope.TailLength(_clientPart.Length, _authorPart.Length, op.Length) + elementId.Length);
        try
        {
            var timestamp = now.ToUnixTimeMilliseconds();
            var length = OpEnvelope.WriteTail(tail, _clientPart, parsed.N, timestamp, traceParent, elementId, _authorPart, op.Span);
            AppendResult result;
            try
            {
                result = await _services.Log.AppendAsync(Keys, _clientId, parsed.N, tail.AsMemory(0, length), timestamp,
                    _principal.UserId, _principal.BoardRevision);
            }
            catch (Exception ex) when (ex is StackExchange.Redis.RedisException or TimeoutException)
            {
                // Nothing was acknowledged. The client reconnects with backoff and resends everything
                // unacknowledged, which is also how it recovers from every other failure.
                LogAppendFailed(ex, Id, _principal.BoardId);
                append?.SetStatus(ActivityStatusCode.Error, ex.Message);
                RealtimeTelemetry.Refused(receive, "log_unavailable");
                RequestClose(CloseCodes.TryAgainLater, "the board's log is unavailable; reconnect and resend");
                return;
            }

            RealtimeTelemetry.Appended(receive, result.Seq, result.Applied);
            RealtimeTelemetry.Appended(append, result.Seq, result.Applied);
            RealtimeTelemetry.Appended(publish, result.Seq, result.Applied);

            switch (result.Outcome)
            {
                case AppendOutcome.Applied:
                    _services.Telemetry.OpsAppended.Add(1, new KeyValuePair<string, object?>("kind", KindName(info.Kind)));
                    _hub?.NoteAppended(result.Seq);
                    break;
                case AppendOutcome.Duplicate:
                    // A resend of something the log holds: acknowledge it again, apply nothing.
                    Enqueue(ServerMessages.Ack(parsed.N, result.Seq, duplicate: true));
                    break;
                case AppendOutcome.Unknown:
                    Refuse("op_unknown");
                    Enqueue(ServerMessages.Error(ErrorCodes.UnknownOp, "too old to tell whether it was stored; not applied", parsed.N));
                    break;
                case AppendOutcome.BoardDeleted:
                    Refuse("board_deleted");
                    RequestClose(CloseCodes.BoardDeleted, "board deleted");
                    break;
                case AppendOutcome.AccessWithdrawn:
                    // The token predates a removal or a role change: the client fetches a new one (or learns it has none).
                    Refuse("access_withdrawn");
                    RequestClose(CloseCodes.TokenExpired, "access changed; renew the token");
                    break;
                case AppendOutcome.ClientIdTaken:
                    Refuse("client_taken");
                    RequestClose(CloseCodes.PolicyViolation, "client id in use by another person");
                    break;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(tail);
        }
    }

    private async ValueTask HandleHelloAsync(byte[] clientId, long? since, bool batch)
    {
        if (_mode != Mode.AwaitingHello)
        {
            RequestClose(CloseCodes.PolicyViolation, "hello was already sent");
            return;
        }

        // A client id is one person's: whoever first wrote with it on this board (docs/security.md).
        var owner = await _services.Log.ClientOwnerAsync(Keys, clientId);
        if (owner is not null && owner != _principal.UserId)
        {
            Refuse("client_taken");
            RequestClose(CloseCodes.PolicyViolation, "client id in use by another person");
            return;
        }

        // Set before the replay, which gains most from batches (a late joiner's operations travel together).
        _batch = batch;
        _clientId = clientId;
        _clientPart = OpEnvelope.ClientPart(clientId);
        lock (_gate)
        {
            if (_mode != Mode.AwaitingHello)
            {
                return;
            }

            _mode = Mode.CatchingUp;
            _buffered = [];
        }

        _hub = await _services.Hubs.JoinAsync(this);
        Keys = _hub.Keys;
        var sent = await ReplayAsync(since);

        lock (_gate)
        {
            if (_mode != Mode.CatchingUp)
            {
                return;
            }

            TryEnqueueLocked(new Outgoing(ServerMessages.Synced(sent)));
            foreach (var item in _buffered!)
            {
                if (item.Seq <= sent)
                {
                    continue;
                }

                TryEnqueueLocked(item.Message is { } buffered ? new Outgoing(buffered, item.Timestamp) : new Outgoing(ServerMessages.Ack(item.N, item.Seq, duplicate: false)));
                sent = item.Seq;
            }

            _buffered = null;
            _lastSeqSent = sent;
            _mode = Mode.Live;
        }

        await _hub.AnnounceAsync(this);
        _announced = true;
    }

    /// <summary>
    /// Sends what the client is missing: everything after <paramref name="since"/> if the log still holds
    /// it, else the latest snapshot and everything after it. Returns the last sequence number sent.
    /// </summary>
    private async Task<long> ReplayAsync(long? since)
    {
        if (since is { } s)
        {
            var page = await _services.Log.ReadAsync(Keys, s + 1, ReplayPage);
            var continues = page.Count > 0
                ? page[0].Seq == s + 1
                : await _services.Log.GetHeadAsync(Keys) == s;
            if (continues)
            {
                return await StreamFromAsync(page, s);
            }

            // Older than what the log keeps (or from another life of the board): send the whole board.
        }

        for (var attempt = 1; ; attempt++)
        {
            var snapshot = await _services.Snapshots.LoadAsync(Keys.BoardId, _abort.Token);
            var page = await _services.Log.ReadAsync(Keys, snapshot.Seq + 1, ReplayPage);
            if (page.Count > 0 && page[0].Seq != snapshot.Seq + 1 && attempt < 3)
            {
                // A saver stored a newer snapshot and trimmed the log meanwhile: read that one.
                continue;
            }

            await _outgoing.Writer.WriteAsync(new Outgoing(ServerMessages.Snapshot(snapshot.Seq, snapshot.Elements)), _abort.Token);
            return await StreamFromAsync(page, snapshot.Seq);
        }
    }

    /// <summary>Writes log pages to this socket, waiting for room: the replay slows only this socket.</summary>
    private async Task<long> StreamFromAsync(IReadOnlyList<LogEntry> page, long sent)
    {
        while (true)
        {
            foreach (var entry in page)
            {
                await _outgoing.Writer.WriteAsync(new Outgoing(entry.Message), _abort.Token);
                sent = entry.Seq;
            }

            if (page.Count < ReplayPage)
            {
                return sent;
            }

            page = await _services.Log.ReadAsync(Keys, sent + 1, ReplayPage);
        }
    }

    private async ValueTask HandleAuthAsync(string token)
    {
        var (principal, failure) = await _services.Tokens.ValidateAsync(token);
        if (principal is not null && principal.UserId == _principal.UserId && principal.BoardId == _principal.BoardId)
        {
            failure = await _services.Access.RefusalAsync(principal);
        }
        else
        {
            failure ??= "another user or board";
        }

        if (failure is not null || principal is null)
        {
            Refuse(principal is null ? "auth_invalid" : "auth_mismatch");
            LogRenewalRefused(Id, failure ?? "invalid");
            RequestClose(CloseCodes.PolicyViolation, "token renewal refused");
            return;
        }

        _principal = principal;
        Enqueue(ServerMessages.AuthOk(principal.ExpiresAt));
    }

    /// <summary>Fan-out of one operation from the board's log, in sequence order.</summary>
    internal Delivery DeliverOp(byte[] message, long seq, ReadOnlySpan<byte> client, long n, long timestamp)
    {
        var own = _clientId is not null && client.SequenceEqual(_clientId);
        lock (_gate)
        {
            switch (_mode)
            {
                case Mode.CatchingUp:
                    _buffered!.Add(new Buffered(seq, own ? null : message, n, timestamp));
                    if (_buffered.Count > MaxBufferedWhileCatchingUp)
                    {
                        OverflowLocked();
                        return Delivery.Dropped;
                    }

                    return Delivery.Buffered;
                case Mode.Live when seq > _lastSeqSent:
                    _lastSeqSent = seq;
                    var sent = own
                        ? TryEnqueueLocked(new Outgoing(ServerMessages.Ack(n, seq, duplicate: false)))
                        : TryEnqueueLocked(new Outgoing(message, timestamp));
                    return !sent ? Delivery.Dropped : own ? Delivery.Acknowledged : Delivery.Sent;
                default:
                    return Delivery.Skipped;
            }
        }
    }

    /// <summary>Fan-out of a message that is not stored (presence, cursors).</summary>
    internal void DeliverEphemeral(byte[] message)
    {
        lock (_gate)
        {
            if (_mode == Mode.Live)
            {
                TryEnqueueLocked(new Outgoing(message));
            }
        }
    }

    private DateTimeOffset _rateWindowStart;
    private int _rateRefusals;
    private DateTimeOffset _lastRateError;
    private DateTimeOffset _lastUnknownError;

    /// <summary>
    /// A message over the socket's or the user's rate: dropped, with an <c>error</c>; when it goes on (many
    /// refusals within ten seconds) the socket is closed with 1008. A refused operation always gets its
    /// error (naming <paramref name="n"/>), so that the client drops it rather than resending it later,
    /// when it would be taken for a duplicate; other messages get one at most once a second.
    /// </summary>
    private void RateLimited(DateTimeOffset now, long? n)
    {
        Refuse("rate_limited");
        if (now - _rateWindowStart > TimeSpan.FromSeconds(10))
        {
            _rateWindowStart = now;
            _rateRefusals = 0;
        }

        if (++_rateRefusals >= _services.Options.RateLimitedCloseAfter)
        {
            RequestClose(CloseCodes.PolicyViolation, "too many messages");
            return;
        }

        if (n is not null || now - _lastRateError >= TimeSpan.FromSeconds(1))
        {
            _lastRateError = now;
            Enqueue(ServerMessages.Error(ErrorCodes.RateLimited, "too many messages; slow down", n));
        }
    }

    private bool IsExpired(DateTimeOffset now) => now >= _principal.ExpiresAt + _services.Tokens.ClockSkew;

    /// <summary>Closes a socket whose token expired or that never said hello; called by the registry's sweep.</summary>
    internal void Sweep(DateTimeOffset now)
    {
        if (_closeRequested)
        {
            return;
        }

        if (IsExpired(now))
        {
            Refuse("token_expired");
            RequestClose(CloseCodes.TokenExpired, "token expired");
        }
        else if (_mode == Mode.AwaitingHello && now - OpenedAt > _services.Options.HelloTimeout)
        {
            Refuse("no_hello");
            RequestClose(CloseCodes.PolicyViolation, "no hello");
        }
    }

    private void Enqueue(byte[] message)
    {
        lock (_gate)
        {
            if (_mode != Mode.Closing)
            {
                TryEnqueueLocked(new Outgoing(message));
            }
        }
    }

    private bool TryEnqueueLocked(Outgoing message)
    {
        if (_outgoing.Writer.TryWrite(message))
        {
            return true;
        }

        OverflowLocked();
        return false;
    }

    private void OverflowLocked()
    {
        if (_close is not null)
        {
            return;
        }

        _services.Telemetry.SendQueueDrops.Add(1);
        LogSlowReader(Id, _principal.BoardId);
        // The queue is full, so the close frame cannot wait behind it: what is queued is dropped.
        _discardQueued = true;
        _close = (CloseCodes.TryAgainLater, "too slow: reconnect and resume");
        _closeRequested = true;
        _mode = Mode.Closing;
        _buffered = null;
        _services.Telemetry.Closes.Add(1, new KeyValuePair<string, object?>("code", 1013));
        _outgoing.Writer.TryComplete();
        // A slow reader gets longer to take its close frame: the frame waits behind what it has not read.
        _ = Task.Delay(SlowReaderCloseTimeout).ContinueWith(static (_, state) => ((BoardConnection)state!).Abort(), this, TaskScheduler.Default);
    }

    /// <summary>
    /// The socket's only writer. When more than one message is waiting and the client accepts batches
    /// (protocol §2), it sends them as one frame holding a JSON array: under load a socket's messages then
    /// cost one frame and one send instead of one each, and when the socket keeps up nothing waits for a
    /// batch to fill.
    /// </summary>
    private async Task SendLoopAsync()
    {
        var reader = _outgoing.Reader;
        try
        {
            while (!_discardQueued && await reader.WaitToReadAsync())
            {
                while (!_discardQueued && reader.TryRead(out var message))
                {
                    if (_batch && message.Bytes.Length < MaxBatchBytes / 2 && reader.TryPeek(out var next)
                        && FitsInBatch(1 + message.Bytes.Length, next))
                    {
                        await SendBatchAsync(message, reader);
                        continue;
                    }

                    await _socket.SendAsync(message.Bytes, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
                    if (message.Timestamp > 0)
                    {
                        RecordFanout(message.Timestamp, _services.Time.GetUtcNow().ToUnixTimeMilliseconds());
                    }
                }
            }

            if (_close is { } close && _socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                await _socket.CloseOutputAsync(close.Status, close.Reason, _abort.Token);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            // The socket is gone, or closing: a close frame is out (perhaps the WebSocket's own, after a protocol
            // error) and must reach the peer, so only a socket still open is aborted, to end its receive too.
            Abort(abortSocket: _socket.State == WebSocketState.Open);
        }
    }

    /// <summary>Sends <paramref name="first"/> and the messages after it that fit, as one array frame.</summary>
    private async ValueTask SendBatchAsync(Outgoing first, ChannelReader<Outgoing> reader)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(MaxBatchBytes);
        var timestamps = ArrayPool<long>.Shared.Rent(MaxBatchMessages);
        try
        {
            buffer[0] = (byte)'[';
            first.Bytes.Span.CopyTo(buffer.AsSpan(1));
            var length = 1 + first.Bytes.Length;
            timestamps[0] = first.Timestamp;
            var count = 1;
            while (count < MaxBatchMessages && !_discardQueued && reader.TryPeek(out var next) && FitsInBatch(length, next)
                && reader.TryRead(out next))
            {
                buffer[length++] = (byte)',';
                next.Bytes.Span.CopyTo(buffer.AsSpan(length));
                length += next.Bytes.Length;
                timestamps[count++] = next.Timestamp;
            }

            buffer[length++] = (byte)']';
            await _socket.SendAsync(buffer.AsMemory(0, length), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
            _services.Telemetry.BatchSize.Record(count);
            var now = _services.Time.GetUtcNow().ToUnixTimeMilliseconds();
            for (var i = 0; i < count; i++)
            {
                RecordFanout(timestamps[i], now);
            }
        }
        finally
        {
            ArrayPool<long>.Shared.Return(timestamps);
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Whether <paramref name="next"/> fits after <paramref name="length"/> bytes of a batch (a comma before it, the closing bracket after).</summary>
    private static bool FitsInBatch(int length, in Outgoing next) => length + 1 + next.Bytes.Length + 1 <= MaxBatchBytes;

    private void RecordFanout(long timestamp, long now)
    {
        if (timestamp > 0)
        {
            _services.Telemetry.FanoutDuration.Record(now - timestamp);
        }
    }

    private void Refuse(string reason, Activity? span = null)
    {
        _services.Telemetry.Refusals.Add(1, new KeyValuePair<string, object?>("reason", reason));
        RealtimeTelemetry.Refused(span ?? Activity.Current, reason);
    }

    private static string MessageTypeName(ClientMessageType type) => type switch
    {
        ClientMessageType.Op => "op",
        ClientMessageType.Hello => "hello",
        ClientMessageType.Auth => "auth",
        ClientMessageType.Cursor => "cursor",
        ClientMessageType.Ping => "ping",
        _ => "unknown",
    };

    private static string KindName(OpKind kind) => kind switch
    {
        OpKind.Add => "add",
        OpKind.Points => "points",
        OpKind.End => "end",
        OpKind.Update => "update",
        OpKind.Delete => "delete",
        OpKind.Restore => "restore",
        _ => "clear",
    };

    [LoggerMessage(Level = LogLevel.Information, Message = "Socket {ConnectionId} opened on board {BoardId} by user {UserId} as {Role}")]
    private partial void LogOpened(string connectionId, string boardId, string userId, string role);

    [LoggerMessage(Level = LogLevel.Information, Message = "Socket {ConnectionId} closed ({CloseCode})")]
    private partial void LogClosed(string connectionId, int closeCode);

    [LoggerMessage(Level = LogLevel.Error, Message = "Socket {ConnectionId} failed")]
    private partial void LogFailed(Exception exception, string connectionId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Socket {ConnectionId} on board {BoardId}: append failed")]
    private partial void LogAppendFailed(Exception exception, string connectionId, string boardId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Socket {ConnectionId} on board {BoardId} read too slowly; closing it with 1013")]
    private partial void LogSlowReader(string connectionId, string boardId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Socket {ConnectionId}: in-band token renewal refused ({Reason})")]
    private partial void LogRenewalRefused(string connectionId, string reason);
}
