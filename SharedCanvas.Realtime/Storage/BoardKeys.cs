using StackExchange.Redis;

namespace SharedCanvas.Realtime.Storage;

/// <summary>
/// The Redis keys of one board. The board id is a hash tag (<c>{…}</c>), so that a board's keys share a
/// slot and the append script can touch them together (see docs/storage.md).
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
        Channel = RedisChannel.Literal($"sc:{{{boardId}}}:ch");
        ChannelName = $"sc:{{{boardId}}}:ch";
        Access = Contracts.AccessRevisions.BoardKey(boardId);
        AppendKeys = [Sequence, Clients, Log, SaverDirty, SaverJobs, Access];
    }

    /// <summary>Boards whose log has entries no snapshot covers yet.</summary>
    public static readonly RedisKey SaverDirty = "sc:saver:dirty";

    /// <summary>The saver's work queue (a stream read by a consumer group).</summary>
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

    /// <summary>Revisions of who may still write (and whether the board was deleted): see <see cref="Contracts.AccessRevisions"/>.</summary>
    public RedisKey Access { get; }

    /// <summary>Every key of the board's data (for deleting it). Not <see cref="Access"/>, which must outlive a deleted board.</summary>
    public RedisKey[] All => [Sequence, Log, Clients, Presence];

    /// <summary>The board's pub/sub channel: operations, presence and cursors for every replica.</summary>
    public RedisChannel Channel { get; }

    public string ChannelName { get; }

    /// <summary>The keys of the append script, in its order.</summary>
    public RedisKey[] AppendKeys { get; }
}
