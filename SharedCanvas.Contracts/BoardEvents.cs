using StackExchange.Redis;

namespace SharedCanvas.Contracts;

/// <summary>
/// The site's announcements to every realtime replica, on one Redis channel: JSON objects
/// <c>{"type":…,"board":…,"user":…}</c>, so that open sockets react at once (docs/security.md).
/// </summary>
public static class BoardEventNames
{
    public static readonly RedisChannel Channel = RedisChannel.Literal("sc:events");

    /// <summary>A board was deleted for good: its sockets close with 4404 and its drawing is deleted.</summary>
    public const string BoardDeleted = "board.deleted";

    /// <summary>A board was moved to the trash: its sockets close with 4404; its drawing stays for a restore.</summary>
    public const string BoardTrashed = "board.trashed";

    /// <summary>Someone was removed from a board: their sockets on it close with 4403.</summary>
    public const string AccessRevoked = "access.revoked";

    /// <summary>Someone's role on a board changed: their sockets on it close with 4401 and come back with the new role.</summary>
    public const string AccessChanged = "access.changed";

    /// <summary>Someone signed out everywhere or changed their password: all their sockets close with 4401.</summary>
    public const string UserSignedOut = "user.signedout";

    /// <summary>An account was deleted: all its sockets close with 4403.</summary>
    public const string UserDeleted = "user.deleted";
}
