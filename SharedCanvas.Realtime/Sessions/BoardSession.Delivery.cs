using SharedCanvas.Realtime.Fanout;
using SharedCanvas.Realtime.Protocol;
using SharedCanvas.Realtime.Storage;

namespace SharedCanvas.Realtime.Sessions;

/// <summary>
/// The delivery side of <see cref="BoardSession"/>: hello, the replay of what the client is missing (with live
/// operations held back until it is done, so that everything arrives once and in order), and fan-out's writes.
/// </summary>
public sealed partial class BoardSession
{
    private const int ReplayPage = 1000;
    private const int MaxBufferedWhileCatchingUp = 100_000;

    private readonly Lock _gate = new();
    private Mode _mode = Mode.AwaitingHello;
    private List<Buffered>? _buffered;
    private long _lastSeqSent;
    private double _cursorX;
    private double _cursorY;
    private bool _cursorGone;
    private ViewRect? _view;
    private int _cursorMoved;

    private enum Mode
    {
        AwaitingHello,
        CatchingUp,
        Live,
        Closing,
    }

    /// <summary>A live operation that arrived during the replay; <c>Message</c> null for the session's own (sent as an ack).</summary>
    private readonly record struct Buffered(long Seq, byte[]? Message, long N, long Timestamp);

    public bool HelloReceived => _mode != Mode.AwaitingHello;

    public bool IsLive => _mode == Mode.Live;

    public CursorMove? TakeCursor() =>
        Interlocked.Exchange(ref _cursorMoved, 0) == 1 ? new CursorMove(_cursorX, _cursorY, _cursorGone, _view) : null;

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
            _services.Telemetry.Refuse("client_taken");
            RequestClose(CloseCodes.PolicyViolation, "client id in use by another person");
            return;
        }

        // Set before the replay, which gains most from batches (a late joiner's operations travel together).
        _pump.Batch = batch;
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

            _pump.TryEnqueue(ServerMessages.Synced(sent));
            foreach (var item in _buffered!)
            {
                if (item.Seq <= sent)
                {
                    continue;
                }

                _pump.TryEnqueue(item.Message ?? ServerMessages.Ack(item.N, item.Seq, duplicate: false), item.Message is null ? 0 : item.Timestamp);
                sent = item.Seq;
            }

            _buffered = null;
            _lastSeqSent = sent;
            _mode = Mode.Live;
        }

        _pump.Flush(inline: true);
        await _hub.AnnounceAsync(this);
        _announced = true;
    }

    /// <summary>
    /// Sends what the client is missing: everything after <paramref name="since"/> if the log still holds
    /// it, else the latest snapshot and everything after it. Returns the last sequence number sent.
    /// </summary>
    private async Task<long> ReplayAsync(long? since)
    {
        // Up to the head as readers may see it (where acknowledgements wait for replicas, what a replica holds);
        // what is appended after it reaches this session live, buffered while it catches up.
        var head = await _services.Log.GetHeadAsync(Keys);
        if (since is { } s)
        {
            var page = await _services.Log.ReadAsync(Keys, s + 1, ReplayPage, head);
            var continues = page.Count > 0
                ? page[0].Seq == s + 1
                : head == s;
            if (continues)
            {
                return await StreamFromAsync(page, s, head);
            }

            // Older than what the log keeps (or from another life of the board): send the whole board.
        }

        for (var attempt = 1; ; attempt++)
        {
            var snapshot = await _services.Snapshots.LoadAsync(Keys.BoardId, CancellationToken.None);
            var page = await _services.Log.ReadAsync(Keys, snapshot.Seq + 1, ReplayPage, head);
            if (page.Count > 0 && page[0].Seq != snapshot.Seq + 1 && attempt < 3)
            {
                // A saver stored a newer snapshot and trimmed the log meanwhile: read that one.
                continue;
            }

            await _pump.EnqueueAsync(ServerMessages.Snapshot(snapshot.Seq, snapshot.Elements));
            return await StreamFromAsync(page, snapshot.Seq, head);
        }
    }

    /// <summary>Writes log pages to this socket, waiting for room: the replay slows only this socket.</summary>
    private async Task<long> StreamFromAsync(IReadOnlyList<LogEntry> page, long sent, long head)
    {
        while (true)
        {
            foreach (var entry in page)
            {
                await _pump.EnqueueAsync(entry.Message);
                sent = entry.Seq;
            }

            // A full page is sent from the thread pool while the next one is read; the last one from here.
            _pump.Flush(inline: page.Count < ReplayPage);
            if (page.Count < ReplayPage)
            {
                return sent;
            }

            page = await _services.Log.ReadAsync(Keys, sent + 1, ReplayPage, head);
        }
    }

    public Delivery DeliverOp(byte[] message, long seq, ReadOnlySpan<byte> client, long n, long timestamp, bool inline)
    {
        var delivery = Queue(message, seq, client, n, timestamp);
        if (delivery is Delivery.Sent or Delivery.Acknowledged)
        {
            _pump.Flush(inline);
        }

        return delivery;
    }

    private Delivery Queue(byte[] message, long seq, ReadOnlySpan<byte> client, long n, long timestamp)
    {
        var own = _clientId is not null && client.SequenceEqual(_clientId);
        lock (_gate)
        {
            if (_pump.CloseRequested)
            {
                return Delivery.Skipped;
            }

            switch (_mode)
            {
                case Mode.CatchingUp:
                    _buffered!.Add(new Buffered(seq, own ? null : message, n, timestamp));
                    if (_buffered.Count > MaxBufferedWhileCatchingUp)
                    {
                        // As good as a full send queue: the client resumes after reconnecting.
                        _buffered = null;
                        _mode = Mode.Closing;
                        _pump.RequestClose(CloseCodes.TryAgainLater, "too slow: reconnect and resume");
                        return Delivery.Dropped;
                    }

                    return Delivery.Buffered;
                case Mode.Live when seq > _lastSeqSent:
                    _lastSeqSent = seq;
                    var sent = own
                        ? _pump.TryEnqueue(ServerMessages.Ack(n, seq, duplicate: false))
                        : _pump.TryEnqueue(message, timestamp);
                    if (sent && _heldDuplicates is not null)
                    {
                        SendHeldDuplicatesLocked();
                    }

                    return !sent ? Delivery.Dropped : own ? Delivery.Acknowledged : Delivery.Sent;
                default:
                    return Delivery.Skipped;
            }
        }
    }

    /// <summary>Duplicate acknowledgements waiting for the operation's own acknowledgement (see <see cref="AcknowledgeDuplicate"/>).</summary>
    private List<(long N, long Seq)>? _heldDuplicates;

    /// <summary>
    /// A resend of operation <paramref name="n"/>, stored at <paramref name="seq"/>, is acknowledged again — but never
    /// ahead of the operation's own acknowledgement, which fan-out brings to this socket at its place in sequence
    /// order: a client that heard "duplicate" first would stop waiting for it and never fold it in. So when this
    /// socket has not had <paramref name="seq"/> yet, the answer waits for it.
    /// </summary>
    private void AcknowledgeDuplicate(long n, long seq)
    {
        lock (_gate)
        {
            if (seq > 0 && _mode == Mode.Live && seq > _lastSeqSent)
            {
                (_heldDuplicates ??= []).Add((n, seq));
                return;
            }
        }

        Enqueue(ServerMessages.Ack(n, seq, duplicate: true));
    }

    private void SendHeldDuplicatesLocked()
    {
        var held = _heldDuplicates!;
        held.RemoveAll(d =>
        {
            if (d.Seq > _lastSeqSent)
            {
                return false;
            }

            _pump.TryEnqueue(ServerMessages.Ack(d.N, d.Seq, duplicate: true));
            return true;
        });
        if (held.Count == 0)
        {
            _heldDuplicates = null;
        }
    }

    public void DeliverEphemeral(byte[] message, bool inline)
    {
        lock (_gate)
        {
            if (_mode != Mode.Live || _pump.CloseRequested || !_pump.TryEnqueue(message))
            {
                return;
            }
        }

        _pump.Flush(inline);
    }

    /// <summary>A message of the session's own (welcome, errors, pongs), sent from the thread that decided on it.</summary>
    private void Enqueue(byte[] message)
    {
        lock (_gate)
        {
            if (_mode == Mode.Closing || _pump.CloseRequested || !_pump.TryEnqueue(message))
            {
                return;
            }
        }

        _pump.Flush(inline: true);
    }
}
