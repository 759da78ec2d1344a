using Microsoft.Extensions.Options;
using StackExchange.Redis;
using SharedCanvas.Realtime.Extensions;
using SharedCanvas.Realtime.Protocol;

namespace SharedCanvas.Realtime.Storage;

/// <summary>The log as the op pipeline sees it: one append (a fake in unit tests, <see cref="BoardLog"/> in the service).</summary>
public interface IOperationLog
{
    /// <summary>
    /// Appends operation <paramref name="n"/> of the client <paramref name="clientId"/> whose user is
    /// <paramref name="userId"/> and whose token carries <paramref name="boardRevision"/>; its message tail is
    /// <paramref name="tail"/> (see <see cref="OpEnvelope"/>). Durable and published when it returns Applied.
    /// </summary>
    Task<AppendResult> AppendAsync(BoardKeys keys, byte[] clientId, long n, ReadOnlyMemory<byte> tail, long timestamp, string userId, long boardRevision);
}

/// <summary>What the append script did with one operation.</summary>
public enum AppendOutcome
{
    /// <summary>Stored at <see cref="AppendResult.Seq"/> and published.</summary>
    Applied,

    /// <summary>Already in the log (a resend): at <see cref="AppendResult.Seq"/>, or 0 when that number is no longer kept.</summary>
    Duplicate,

    /// <summary>A resend so old that the log can no longer tell whether it was stored; nothing was applied.</summary>
    Unknown,

    /// <summary>The board was deleted; nothing is written to it again.</summary>
    BoardDeleted,

    /// <summary>The socket's token was issued before the user's access to the board was withdrawn or changed.</summary>
    AccessWithdrawn,

    /// <summary>The client id is bound to another user on this board.</summary>
    ClientIdTaken,

    /// <summary>
    /// Stored at <see cref="AppendResult.Seq"/> (or found there), but not confirmed on the replicas an
    /// acknowledgement needs within the time allowed: not acknowledged, not published; the client resends.
    /// </summary>
    NotReplicated,
}

/// <summary>The result of appending one operation.</summary>
public readonly record struct AppendResult(AppendOutcome Outcome, long Seq)
{
    public bool Applied => Outcome == AppendOutcome.Applied;
}

/// <summary>
/// A board's operation log in Redis: one script appends an operation, numbers it, remembers the client's
/// operation number (so resends are recognised), marks the board for the saver and publishes it to every
/// replica, atomically, on the keys of one hash slot (one node of a cluster). With append-only persistence
/// the reply comes only after the entry is written to the append-only file, so an acknowledged operation
/// survives a crash of any process (docs/storage.md). Where acknowledgements need Redis replicas
/// (<see cref="RealtimeOptions.AcknowledgeReplicas"/>, a cluster), the script does not publish: the append
/// waits (<c>WAIT</c>) until the replicas hold it, and only then publishes it — and with it comes the sender's
/// acknowledgement — so that no operation anyone saw can vanish with one node.
/// <para>
/// A client id belongs to the user who first wrote with it on the board: nobody else's operations can take
/// its numbers (docs/security.md). Per client id the script keeps the highest number stored, its seq, and
/// the numbers below it that were never stored (refused, or lost before they arrived), so that a resend is
/// told apart exactly: stored already (a duplicate), or not yet (stored now). Only when a client has left
/// more than <see cref="MaxGaps"/> such ranges does it forget the oldest, and a resend below them is
/// answered as unknown. The same script refuses writes to a deleted board and writes under a token
/// issued before the user's access to the board was withdrawn (<see cref="Contracts.AccessRevisions"/>).
/// </para>
/// </summary>
public sealed class BoardLog(IConnectionMultiplexer redis, IOptions<RealtimeOptions> options, ILogger<BoardLog> logger) : IOperationLog
{
    /// <summary>Ranges of never-stored numbers kept per client id.</summary>
    public const int MaxGaps = 32;

    /// <summary>
    /// A dirty mark older than this is taken for a saver job that was lost (the replica died between the
    /// append and queuing the job, or the queue's node failed over): the next append queues it again.
    /// </summary>
    public static readonly TimeSpan RequeueAfter = TimeSpan.FromMinutes(1);

    // KEYS: 1 seq, 2 clients, 3 log, 4 dirty mark, 5 access — all in the board's slot
    // ARGV: 1 client id, 2 n, 3 tail of the message, 4 channel, 5 board id, 6 time (ms), 7 user id,
    //       8 the token's board revision, 9 gaps kept, 10 publish here ('1') or after WAIT ('0'), 11 requeue after (ms)
    // A client's entry: "lastN lastSeq time user floor gaps" (gaps "a-b,c-d" or "-"); entries written before
    // users were bound hold only the first three.
    // Returns {outcome, seq, queue a saver job (1/0)}.
    private const string AppendScript = """
        local access = redis.call('HMGET', KEYS[5], ARGV[7], '!deleted')
        if access[2] then return {-1, 0} end
        if access[1] and tonumber(access[1]) > tonumber(ARGV[8]) then return {-2, 0} end
        local function fmt(x) return string.format('%.0f', x) end
        local n = tonumber(ARGV[2])
        local lastN, lastSeq, floor, gaps = 0, 0, 0, ''
        local entry = redis.call('HGET', KEYS[2], ARGV[1])
        if entry then
          local f = {}
          for part in string.gmatch(entry, '%S+') do f[#f + 1] = part end
          if f[4] and f[4] ~= ARGV[7] then return {-3, 0} end
          lastN, lastSeq = tonumber(f[1]), tonumber(f[2])
          floor = tonumber(f[5] or '0')
          if f[6] and f[6] ~= '-' then gaps = f[6] end
        end
        if n == lastN then return {0, lastSeq} end
        local keepN, keepSeq = n, 0
        if n < lastN then
          if n < floor then return {0, -1} end
          local found, rest = false, {}
          for a, b in string.gmatch(gaps, '(%d+)%-(%d+)') do
            a, b = tonumber(a), tonumber(b)
            if n >= a and n <= b then
              found = true
              if a < n then rest[#rest + 1] = fmt(a) .. '-' .. fmt(n - 1) end
              if n < b then rest[#rest + 1] = fmt(n + 1) .. '-' .. fmt(b) end
            else
              rest[#rest + 1] = fmt(a) .. '-' .. fmt(b)
            end
          end
          if not found then return {0, 0} end
          gaps = table.concat(rest, ',')
          keepN, keepSeq = lastN, lastSeq
        elseif n > lastN + 1 then
          local gap = fmt(lastN + 1) .. '-' .. fmt(n - 1)
          if gaps == '' then gaps = gap else gaps = gaps .. ',' .. gap end
          local count = select(2, string.gsub(gaps, ',', ',')) + 1
          while count > tonumber(ARGV[9]) do
            local comma = string.find(gaps, ',', 1, true)
            floor = tonumber(string.match(gaps, '^%d+%-(%d+)')) + 1
            gaps = string.sub(gaps, comma + 1)
            count = count - 1
          end
        end
        local seq = redis.call('INCR', KEYS[1])
        if keepSeq == 0 then keepSeq = seq end
        local message = '{"type":"op","seq":' .. seq .. ARGV[3]
        redis.call('XADD', KEYS[3], seq .. '-0', 'm', message)
        if gaps == '' then gaps = '-' end
        redis.call('HSET', KEYS[2], ARGV[1], fmt(keepN) .. ' ' .. keepSeq .. ' ' .. ARGV[6] .. ' ' .. ARGV[7] .. ' ' .. fmt(floor) .. ' ' .. gaps)
        if ARGV[10] == '1' then redis.call('SPUBLISH', ARGV[4], message) end
        local queue = 0
        local dirty = redis.call('GET', KEYS[4])
        if not dirty or tonumber(ARGV[6]) - tonumber(dirty) > tonumber(ARGV[11]) then
          redis.call('SET', KEYS[4], ARGV[6])
          queue = 1
        end
        return {1, seq, queue}
        """;

    // KEYS: 1 confirmed head; ARGV: 1 a seq a replica holds. Replication is one ordered stream, so everything
    // below it is held too: the head only rises.
    private const string ConfirmScript = """
        local current = tonumber(redis.call('GET', KEYS[1]) or '0')
        if tonumber(ARGV[1]) > current then redis.call('SET', KEYS[1], ARGV[1]) end
        return 0
        """;

    private readonly IDatabase _db = redis.GetDatabase();
    private readonly int _replicas = options.Value.AcknowledgeReplicas;
    private readonly ReplicaAcknowledgement _replication = new(options.Value.AcknowledgeReplicas, options.Value.ReplicaAckTimeout, logger);

    /// <inheritdoc />
    public async Task<AppendResult> AppendAsync(BoardKeys keys, byte[] clientId, long n, ReadOnlyMemory<byte> tail, long timestamp,
        string userId, long boardRevision)
    {
        var result = (RedisResult[])(await _db.ScriptEvaluateAsync(AppendScript, keys.AppendKeys,
            [clientId, n, tail, keys.ChannelName, keys.BoardId, timestamp, userId, boardRevision, MaxGaps,
                _replicas == 0 ? 1 : 0, (long)RequeueAfter.TotalMilliseconds]).ConfigureAwait(false))!;
        var seq = (long)result[1];
        var appended = (long)result[0] switch
        {
            1 => new AppendResult(AppendOutcome.Applied, seq),
            0 => seq < 0 ? new AppendResult(AppendOutcome.Unknown, 0) : new AppendResult(AppendOutcome.Duplicate, seq),
            -1 => new AppendResult(AppendOutcome.BoardDeleted, 0),
            -2 => new AppendResult(AppendOutcome.AccessWithdrawn, 0),
            _ => new AppendResult(AppendOutcome.ClientIdTaken, 0),
        };
        if (appended.Applied && (long)result[2] == 1)
        {
            // The first unsaved operation: queue the board for a saver. Lost with this process, it is queued
            // again by an append after RequeueAfter; the log keeps everything meanwhile.
            _db.StreamAdd(BoardKeys.SaverJobs, "b", keys.BoardId, flags: CommandFlags.FireAndForget);
        }

        if (_replicas == 0 || appended.Outcome is not (AppendOutcome.Applied or AppendOutcome.Duplicate))
        {
            return appended;
        }

        // A resend (a duplicate) waits as well: its first try may have timed out here.
        // The slot's primary, demanded: without the flag the client may hand out the slot's replica, and WAIT
        // there counts the replica's own replicas (none), which confirmed nothing.
        if (!await _replication.ConfirmAsync(redis.GetServer(keys.Log, flags: CommandFlags.DemandMaster)).ConfigureAwait(false))
        {
            return new AppendResult(AppendOutcome.NotReplicated, seq);
        }

        if (seq > 0)
        {
            // Sent before the publish, over the same connection: whoever hears of it reads a head that covers it.
            _db.ScriptEvaluate(ConfirmScript, [keys.Confirmed], [seq], CommandFlags.FireAndForget);
        }

        if (appended.Applied)
        {
            await redis.GetSubscriber().PublishAsync(keys.Channel, OpEnvelope.Message(seq, tail.Span)).ConfigureAwait(false);
        }
        else if (seq > 0 && (await ReadAsync(keys, seq, 1, seq).ConfigureAwait(false)) is [var stored])
        {
            // A resend of an operation whose first try was stored but not confirmed, so never published: published
            // now, as stored. Every replica delivers it in its place (a second publish is ignored as delivered),
            // and with it comes the sender's own acknowledgement, which the duplicate's answer waits for.
            await redis.GetSubscriber().PublishAsync(keys.Channel, stored.Message).ConfigureAwait(false);
        }

        return appended;
    }

    /// <summary>The user a client id is bound to on the board, or null if it has written nothing there yet.</summary>
    public async Task<string?> ClientOwnerAsync(BoardKeys keys, RedisValue clientId)
    {
        var entry = (string?)await _db.HashGetAsync(keys.Clients, clientId).ConfigureAwait(false);
        var parts = entry?.Split(' ');
        return parts is { Length: >= 4 } ? parts[3] : null;
    }

    /// <summary>
    /// The board's newest sequence number that readers may see (0 for a new board): the last one handed out, or,
    /// where acknowledgements wait for replicas, the last one a replica is known to hold.
    /// </summary>
    public async Task<long> GetHeadAsync(BoardKeys keys)
    {
        var value = await _db.StringGetAsync(HeadKey(keys)).ConfigureAwait(false);
        return value.IsNull ? 0 : (long)value;
    }

    /// <summary>The key that holds what <see cref="GetHeadAsync"/> reads.</summary>
    public RedisKey HeadKey(BoardKeys keys) => _replicas == 0 ? keys.Sequence : keys.Confirmed;

    /// <summary>Removes log entries with sequence numbers below <paramref name="seq"/> (they are in a stored snapshot).</summary>
    public Task TrimBelowAsync(BoardKeys keys, long seq) =>
        _db.ExecuteAsync("XTRIM", keys.Log, "MINID", $"{seq}-0");

    /// <summary>Up to <paramref name="count"/> operation messages with sequence numbers from <paramref name="fromSeq"/> on.</summary>
    public async Task<IReadOnlyList<LogEntry>> ReadAsync(BoardKeys keys, long fromSeq, int count, long toSeq = long.MaxValue)
    {
        var entries = await _db.StreamRangeAsync(keys.Log, $"{fromSeq}-0", toSeq == long.MaxValue ? "+" : $"{toSeq}-0", count).ConfigureAwait(false);
        var result = new LogEntry[entries.Length];
        for (var i = 0; i < entries.Length; i++)
        {
            var id = entries[i].Id.ToString();
            var seq = long.Parse(id.AsSpan(0, id.IndexOf('-')));
            result[i] = new LogEntry(seq, (byte[])entries[i]["m"]!);
        }

        return result;
    }

    /// <summary>
    /// Every entry after <paramref name="afterSeq"/> up to <paramref name="toSeq"/> that the log holds, read
    /// <paramref name="page"/> at a time; null when it does not continue from there (a saver trimmed past it).
    /// </summary>
    public async Task<List<LogEntry>?> ReadAfterAsync(BoardKeys keys, long afterSeq, long toSeq, int page)
    {
        var entries = new List<LogEntry>();
        while (true)
        {
            var next = afterSeq + 1 + entries.Count;
            var read = await ReadAsync(keys, next, page, toSeq).ConfigureAwait(false);
            if (read.Count > 0 && read[0].Seq != next)
            {
                return null;
            }

            entries.AddRange(read);
            if (read.Count < page)
            {
                return entries;
            }
        }
    }
}

/// <summary>One operation message from the log.</summary>
public readonly record struct LogEntry(long Seq, byte[] Message);
