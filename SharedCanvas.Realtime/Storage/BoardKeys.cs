using StackExchange.Redis;

namespace SharedCanvas.Realtime.Storage;

/// <summary>
/// The Redis keys of one board. The board id is a hash tag (<c>{…}</c>), so that a board's keys and its
/// channel share one hash slot — one node of a Redis Cluster — and the append script can touch them together
/// (see docs/storage.md).
/// </summary>
public sealed class BoardKeys
{
    public BoardKeys(string boardId)
    {
        BoardId = boardId;
        Sequence = $"sc:{{{boardId}}}:seq";
        Log = $"sc:{{{boardId}}}:log";
        Clients = $"sc:{{{boardId}}}:clients";
        Presence = $"sc:{{{boardId}}}:presence";
        Dirty = $"sc:{{{boardId}}}:dirty";
        Confirmed = $"sc:{{{boardId}}}:confirmed";
        ChannelName = $"sc:{{{boardId}}}:ch";
        Channel = RedisChannel.Sharded(ChannelName);
        Access = Contracts.AccessRevisions.BoardKey(boardId);
        AppendKeys = [Sequence, Clients, Log, Dirty, Access];
    }

    /// <summary>
    /// The saver's work queue (a stream read by a consumer group): one entry per board that became dirty. It is
    /// the one key not in a board's slot, so it is written beside the append script, never inside it.
    /// </summary>
    public static readonly RedisKey SaverJobs = "sc:saver:jobs";

    public string BoardId { get; }

    /// <summary>The last sequence number handed out (INCR).</summary>
    public RedisKey Sequence { get; }

    /// <summary>The operation log: a stream whose entry ids are <c>{seq}-0</c>.</summary>
    public RedisKey Log { get; }

    /// <summary>Per client id: the last operation number accepted, its seq and time, its user and the numbers never stored (for idempotent resends).</summary>
    public RedisKey Clients { get; }

    /// <summary>Who is on the board: socket id → presence entry with an expiry, refreshed by the socket's replica.</summary>
    public RedisKey Presence { get; }

    /// <summary>Set (to the time, Unix ms) while the log has entries no snapshot covers and a saver job is queued for them.</summary>
    public RedisKey Dirty { get; }

    /// <summary>
    /// Where acknowledgements wait for replicas: the highest sequence number a replica is known to hold. Readers
    /// (replays, fan-out, the saver) see the log up to it only, so that nobody is shown an operation a failover can
    /// still take back.
    /// </summary>
    public RedisKey Confirmed { get; }

    /// <summary>Revisions of who may still write (and whether the board was deleted): see <see cref="Contracts.AccessRevisions"/>.</summary>
    public RedisKey Access { get; }

    /// <summary>Every key of the board's data (for deleting it). Not <see cref="Access"/>, which must outlive a deleted board.</summary>
    public RedisKey[] All => [Sequence, Log, Clients, Presence, Dirty, Confirmed];

    /// <summary>
    /// The board's channel on sharded pub/sub (<c>SSUBSCRIBE</c>/<c>SPUBLISH</c>, Redis 7): operations, presence
    /// and cursors for every replica. In a cluster it is served by the node that holds the board's keys.
    /// </summary>
    public RedisChannel Channel { get; }

    public string ChannelName { get; }

    /// <summary>The keys of the append script, in its order.</summary>
    public RedisKey[] AppendKeys { get; }
}
