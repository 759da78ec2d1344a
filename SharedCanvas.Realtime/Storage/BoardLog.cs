using StackExchange.Redis;
using SharedCanvas.Realtime.Protocol;

namespace SharedCanvas.Realtime.Storage;

/// <summary>The result of appending one operation.</summary>
/// <param name="Applied">False when the operation was already in the log (a resend).</param>
/// <param name="Seq">Its sequence number; 0 when a resend's number is no longer known.</param>
public readonly record struct AppendResult(bool Applied, long Seq);

/// <summary>
/// A board's operation log in Redis: one script appends an operation, numbers it, remembers the client's
/// operation number (so resends are recognised), marks the board for the saver and publishes it to every
/// replica, atomically. With append-only persistence the reply comes only after the entry is written to
/// the append-only file, so an acknowledged operation survives a crash of any process (docs/storage.md).
/// </summary>
public sealed class BoardLog(IConnectionMultiplexer redis)
{
    // KEYS: 1 seq, 2 clients, 3 log, 4 saver dirty set, 5 saver jobs
    // ARGV: 1 client id, 2 n, 3 tail of the message, 4 channel, 5 board id, 6 time (ms)
    private const string AppendScript = """
        local last = redis.call('HGET', KEYS[2], ARGV[1])
        if last then
          local a = string.find(last, ' ', 1, true)
          local b = string.find(last, ' ', a + 1, true)
          local lastN = tonumber(string.sub(last, 1, a - 1))
          if tonumber(ARGV[2]) <= lastN then
            if tonumber(ARGV[2]) == lastN then
              return {0, tonumber(string.sub(last, a + 1, b - 1))}
            end
            return {0, 0}
          end
        end
        local seq = redis.call('INCR', KEYS[1])
        local message = '{"type":"op","seq":' .. seq .. ARGV[3]
        redis.call('XADD', KEYS[3], seq .. '-0', 'm', message)
        redis.call('HSET', KEYS[2], ARGV[1], ARGV[2] .. ' ' .. seq .. ' ' .. ARGV[6])
        redis.call('PUBLISH', ARGV[4], message)
        if redis.call('SADD', KEYS[4], ARGV[5]) == 1 then
          redis.call('XADD', KEYS[5], '*', 'b', ARGV[5])
        end
        return {1, seq}
        """;

    private readonly IDatabase _db = redis.GetDatabase();

    /// <summary>Appends one operation whose message tail is <paramref name="tail"/> (see <see cref="OpEnvelope"/>).</summary>
    public async Task<AppendResult> AppendAsync(BoardKeys keys, RedisValue clientId, long n, ReadOnlyMemory<byte> tail, long timestamp)
    {
        var result = (RedisResult[])(await _db.ScriptEvaluateAsync(AppendScript, keys.AppendKeys,
            [clientId, n, tail, keys.ChannelName, keys.BoardId, timestamp]).ConfigureAwait(false))!;
        return new AppendResult((long)result[0] == 1, (long)result[1]);
    }

    /// <summary>The board's newest sequence number (0 for a new board).</summary>
    public async Task<long> GetHeadAsync(BoardKeys keys)
    {
        var value = await _db.StringGetAsync(keys.Sequence).ConfigureAwait(false);
        return value.IsNull ? 0 : (long)value;
    }

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
}

/// <summary>One operation message from the log.</summary>
public readonly record struct LogEntry(long Seq, byte[] Message);
