using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;
using SharedCanvas.Realtime.Extensions;

namespace SharedCanvas.Realtime.Pipeline;

/// <summary>
/// Token buckets (System.Threading.RateLimiting) for what clients send: per socket, per socket for new
/// elements, per socket for cursor moves, and per user over all their sockets on this replica. A bucket exists only while it is used;
/// idle sockets cost none.
/// </summary>
public sealed class MessageLimits : IDisposable
{
    private readonly PartitionedRateLimiter<string> _sockets;
    private readonly PartitionedRateLimiter<string> _adds;
    private readonly PartitionedRateLimiter<string> _users;
    private readonly PartitionedRateLimiter<string> _cursors;

    public MessageLimits(IOptions<RealtimeOptions> options)
    {
        var o = options.Value;
        _sockets = Buckets(o.MessagesPerSecond, o.MessageBurst);
        _adds = Buckets(o.AddsPerSecond, o.AddBurst);
        _users = Buckets(o.UserMessagesPerSecond, o.UserMessageBurst);
        _cursors = Buckets(o.CursorsPerSecond, o.CursorBurst);
    }

    /// <summary>Whether a socket (and its user) may send one more message now.</summary>
    public bool TryMessage(string connectionId, string userId) =>
        TryAcquire(_sockets, connectionId) && TryAcquire(_users, userId);

    /// <summary>Whether a socket may move its cursor once more now (cursors have a budget of their own).</summary>
    public bool TryCursor(string connectionId) => TryAcquire(_cursors, connectionId);

    /// <summary>Whether a socket may add one more element now.</summary>
    public bool TryAdd(string connectionId) => TryAcquire(_adds, connectionId);

    private static bool TryAcquire(PartitionedRateLimiter<string> limiter, string key)
    {
        using var lease = limiter.AttemptAcquire(key);
        return lease.IsAcquired;
    }

    private static PartitionedRateLimiter<string> Buckets(int perSecond, int burst) =>
        PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetTokenBucketLimiter(key, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = burst,
            // Refilled ten times a second, so that a burst is followed by a steady rate, not a stall.
            TokensPerPeriod = Math.Max(1, perSecond / 10),
            ReplenishmentPeriod = TimeSpan.FromMilliseconds(perSecond >= 10 ? 100 : 1000 / perSecond),
            QueueLimit = 0,
            AutoReplenishment = true,
        }));

    public void Dispose()
    {
        _sockets.Dispose();
        _adds.Dispose();
        _users.Dispose();
        _cursors.Dispose();
    }
}
