using StackExchange.Redis;
using SharedCanvas.Realtime.Protocol;
using SharedCanvas.Realtime.Storage;

namespace SharedCanvas.Realtime.Fanout;

/// <summary>
/// One board on one replica: a single Redis subscription to the board's channel, and the board's
/// sockets on this replica. Operations are fanned out in sequence order, gap-free: a gap (a publish this
/// replica missed, say while Redis reconnected) is filled from the log before anything after it.
/// The same bytes go to every socket; the sender's own socket gets an acknowledgement instead.
/// </summary>
public sealed partial class BoardHub
{
    private readonly BoardLog _log;
    private readonly RealtimeTelemetry _telemetry;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _delivery = new(1, 1);
    private readonly Lock _membersLock = new();
    private IBoardMember[] _members = [];
    private ChannelMessageQueue? _queue;
    private long _deliveredSeq;
    private long _appendedSeq;
    private IDatabase? _db;
    private ISubscriber? _subscriber;

    private readonly string _replica;

    private readonly int _inlineFanoutLimit;

    /// <param name="inlineFanoutLimit">
    /// Up to this many sockets on this replica, the fan-out thread writes an operation to each socket itself
    /// (no thread woken per delivery); a bigger board hands each socket's send to the thread pool, so that its
    /// sends run side by side instead of one after another on this thread (docs/performance.md).
    /// </param>
    public BoardHub(string boardId, BoardLog log, RealtimeTelemetry telemetry, ILogger logger, string replica, int inlineFanoutLimit)
    {
        _inlineFanoutLimit = inlineFanoutLimit;
        _replica = replica;
        Keys = new BoardKeys(boardId);
        _log = log;
        _telemetry = telemetry;
        _logger = logger;
    }

    public BoardKeys Keys { get; }

    public int MemberCount => Volatile.Read(ref _members).Length;

    /// <summary>When the last member left (for the registry's clean-up), or null while members remain.</summary>
    public DateTimeOffset? EmptySince { get; private set; }

    /// <summary>Subscribes, then reads the head: everything up to the head is in the log for joiners to replay.</summary>
    public async Task StartAsync(IConnectionMultiplexer redis)
    {
        _db = redis.GetDatabase();
        _subscriber = redis.GetSubscriber();
        _queue = await _subscriber.SubscribeAsync(Keys.Channel).ConfigureAwait(false);
        _deliveredSeq = await _log.GetHeadAsync(Keys).ConfigureAwait(false);
        _queue.OnMessage(OnMessageAsync);
    }

    public async Task StopAsync()
    {
        if (_queue is { } queue)
        {
            await queue.UnsubscribeAsync().ConfigureAwait(false);
        }
    }

    public void Add(IBoardMember member)
    {
        lock (_membersLock)
        {
            _members = [.. _members, member];
            EmptySince = null;
        }
    }

    public void Remove(IBoardMember member)
    {
        lock (_membersLock)
        {
            var index = Array.IndexOf(_members, member);
            if (index < 0)
            {
                return;
            }

            var members = new IBoardMember[_members.Length - 1];
            _members.AsSpan(0, index).CopyTo(members);
            _members.AsSpan(index + 1).CopyTo(members.AsSpan(index));
            _members = members;
            if (members.Length == 0)
            {
                EmptySince = DateTimeOffset.UtcNow;
            }
        }
    }

    /// <summary>A socket on this replica appended <paramref name="seq"/>; its publish must arrive.</summary>
    public void NoteAppended(long seq)
    {
        long current;
        do
        {
            current = Volatile.Read(ref _appendedSeq);
        }
        while (seq > current && Interlocked.CompareExchange(ref _appendedSeq, seq, current) != current);
    }

    /// <summary>Fills from the log anything appended here whose publish has not arrived (run by a periodic check).</summary>
    public async Task CatchUpAsync(bool toHead)
    {
        var target = toHead ? await _log.GetHeadAsync(Keys).ConfigureAwait(false) : Volatile.Read(ref _appendedSeq);
        if (target <= Volatile.Read(ref _deliveredSeq))
        {
            return;
        }

        await _delivery.WaitAsync().ConfigureAwait(false);
        try
        {
            await FillAsync(target).ConfigureAwait(false);
        }
        finally
        {
            _delivery.Release();
        }
    }

    public bool IsBehind => Volatile.Read(ref _appendedSeq) > Volatile.Read(ref _deliveredSeq);

    private async Task OnMessageAsync(ChannelMessage message)
    {
        var payload = (byte[]?)message.Message;
        if (payload is null)
        {
            return;
        }

        await _delivery.WaitAsync().ConfigureAwait(false);
        try
        {
            var seq = SequenceOf(payload);
            if (seq < 0)
            {
                DeliverEphemeral(payload);
                return;
            }

            if (seq <= _deliveredSeq)
            {
                return;
            }

            if (seq > _deliveredSeq + 1)
            {
                LogGap(Keys.BoardId, _deliveredSeq + 1, seq - 1);
                await FillAsync(seq - 1).ConfigureAwait(false);
            }

            Deliver(payload);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // The gap stays; the periodic check fills it once Redis answers again.
            LogFillFailed(ex, Keys.BoardId);
        }
        finally
        {
            _delivery.Release();
        }
    }

    private async Task FillAsync(long upTo)
    {
        while (_deliveredSeq < upTo)
        {
            var entries = await _log.ReadAsync(Keys, _deliveredSeq + 1, 512, upTo).ConfigureAwait(false);
            if (entries.Count == 0)
            {
                return;
            }

            foreach (var entry in entries)
            {
                if (entry.Seq > _deliveredSeq)
                {
                    Deliver(entry.Message);
                }
            }
        }
    }

    private static long SequenceOf(byte[] payload) =>
        OpEnvelope.TryReadHeader(payload, out var seq, out _, out _) ? seq : -1;

    /// <summary>
    /// Writes one operation to this replica's sockets (the sender's gets an ack). When the operation carries
    /// a trace context, the fan-out is a span of that trace: a child of the publish, on every replica.
    /// </summary>
    private void Deliver(byte[] payload)
    {
        if (!OpEnvelope.TryReadHeader(payload, out OpEnvelope.Header header))
        {
            return;
        }

        var client = payload.AsSpan()[header.Client];
        using var fanout = RealtimeTelemetry.StartFanout(payload.AsSpan()[header.TraceParent], Keys.BoardId, header.Seq, _replica,
            header.ElementId.End.Value > 0 ? payload.AsSpan()[header.ElementId] : default);
        var members = Volatile.Read(ref _members);
        var inline = members.Length <= _inlineFanoutLimit;
        int sent = 0, acknowledged = 0, buffered = 0, dropped = 0;
        foreach (var member in members)
        {
            switch (member.DeliverOp(payload, header.Seq, client, header.N, header.Timestamp, inline))
            {
                case Delivery.Sent: sent++; break;
                case Delivery.Acknowledged: acknowledged++; break;
                case Delivery.Buffered: buffered++; break;
                case Delivery.Dropped: dropped++; break;
            }
        }

        _deliveredSeq = header.Seq;
        _telemetry.Deliveries.Add(sent + buffered, new KeyValuePair<string, object?>("type", "op"));
        if (acknowledged > 0)
        {
            _telemetry.Deliveries.Add(acknowledged, new KeyValuePair<string, object?>("type", "ack"));
        }

        RealtimeTelemetry.FannedOut(fanout, sent + buffered, acknowledged, dropped);
    }

    private void DeliverEphemeral(byte[] payload)
    {
        var members = Volatile.Read(ref _members);
        var inline = members.Length <= _inlineFanoutLimit;
        foreach (var member in members)
        {
            member.DeliverEphemeral(payload, inline);
        }

        _telemetry.Deliveries.Add(members.Length, new KeyValuePair<string, object?>("type", payload.AsSpan().StartsWith("{\"type\":\"cursors\""u8) ? "cursors" : "presence"));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Board {BoardId}: publishes {From}-{To} missed on this replica; filling them from the log")]
    private partial void LogGap(string boardId, long from, long to);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Board {BoardId}: could not fill a gap from the log")]
    private partial void LogFillFailed(Exception exception, string boardId);
}
