using Microsoft.Extensions.Options;
using StackExchange.Redis;
using SharedCanvas.Realtime.Extensions;

namespace SharedCanvas.Realtime.Sessions;

/// <summary>
/// How many sockets each user holds, over every replica: a sorted set per user in Redis, one member per
/// socket scored with an expiry that its replica extends while the socket lives (a replica that dies
/// stops extending, and its sockets stop counting within a minute).
/// </summary>
public sealed class UserSockets(IConnectionMultiplexer redis, IOptions<RealtimeOptions> options, TimeProvider time)
{
    public static readonly TimeSpan EntryLifetime = TimeSpan.FromSeconds(60);

    // KEYS: 1 the user's set; ARGV: 1 now ms, 2 expiry ms, 3 connection id, 4 limit
    private const string ClaimScript = """
        redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
        if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) then
          return 0
        end
        redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
        redis.call('PEXPIRE', KEYS[1], 120000)
        return 1
        """;

    private readonly IDatabase _db = redis.GetDatabase();

    private static RedisKey Key(string userId) => $"sc:user:{{{userId}}}:sockets";

    /// <summary>Counts a new socket for the user, unless they already hold the maximum.</summary>
    public async Task<bool> TryClaimAsync(string userId, string connectionId)
    {
        var now = time.GetUtcNow();
        var claimed = await _db.ScriptEvaluateAsync(ClaimScript, [Key(userId)],
            [now.ToUnixTimeMilliseconds(), (now + EntryLifetime).ToUnixTimeMilliseconds(), connectionId, options.Value.MaxSocketsPerUser]);
        return (long)claimed == 1;
    }

    public Task ReleaseAsync(string userId, string connectionId) =>
        _db.SortedSetRemoveAsync(Key(userId), connectionId, CommandFlags.FireAndForget);

    /// <summary>
    /// Extends the entries of sockets that are still open on this replica: one command per user, not per
    /// socket (10,000 sockets of 500 users are 500 commands every ten seconds, each traced, not 10,000).
    /// </summary>
    public void Refresh(IEnumerable<BoardSession> connections)
    {
        var expires = (time.GetUtcNow() + EntryLifetime).ToUnixTimeMilliseconds();
        foreach (var user in connections.GroupBy(c => c.Principal.UserId))
        {
            _db.SortedSetAdd(Key(user.Key), [.. user.Select(c => new SortedSetEntry(c.Id, expires))], CommandFlags.FireAndForget);
        }
    }
}
