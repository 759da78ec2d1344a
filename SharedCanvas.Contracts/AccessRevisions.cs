using StackExchange.Redis;

namespace SharedCanvas.Contracts;

/// <summary>
/// Revocation of tokens already handed out. Every realtime token carries two revision numbers read when it
/// was issued: the user's (<see cref="TokenClaims.UserRevision"/>) and the user's on its board
/// (<see cref="TokenClaims.BoardRevision"/>). Withdrawing access raises one of them in Redis — a person
/// removed or their role lowered raises the board's, "sign out everywhere", a password change or a deleted
/// account the user's — and a deleted board is marked for good. The realtime service refuses a token whose
/// revisions are older than the current ones, at the handshake, on renewal and (for the board's) in the
/// append script itself, on every replica and across restarts (docs/security.md, "Withdrawn access").
/// <para>
/// Order matters: the site reads the revisions <em>before</em> it reads who may do what, and raises them
/// <em>after</em> it stored the change. A token issued from the old state then always carries the old revision.
/// </para>
/// </summary>
public static class AccessRevisions
{
    /// <summary>The field of a board's access hash that marks it deleted (user ids never start with '!').</summary>
    public const string DeletedField = "!deleted";

    /// <summary>Per board: user id → revision, and <see cref="DeletedField"/>. In the board's hash slot (its other keys' tag).</summary>
    public static RedisKey BoardKey(string boardId) => $"sc:{{{boardId}}}:access";

    /// <summary>Per user: their revision.</summary>
    public static RedisKey UserKey(string userId) => $"sc:user:{userId}:rev";

    /// <summary>The revisions a token for <paramref name="userId"/> on <paramref name="boardId"/> must carry now.</summary>
    public static async Task<AccessState> ReadAsync(IDatabaseAsync db, string boardId, string userId)
    {
        var board = db.HashGetAsync(BoardKey(boardId), [userId, DeletedField]);
        var user = db.StringGetAsync(UserKey(userId));
        var fields = await board.ConfigureAwait(false);
        var userRevision = await user.ConfigureAwait(false);
        return new AccessState(ToLong(userRevision), ToLong(fields[0]), !fields[1].IsNull);
    }

    /// <summary>Withdraws every token of the user issued until now.</summary>
    public static Task<long> RaiseUserAsync(IDatabaseAsync db, string userId) => db.StringIncrementAsync(UserKey(userId));

    /// <summary>Withdraws every token of the user for the board issued until now.</summary>
    public static Task<long> RaiseBoardAsync(IDatabaseAsync db, string boardId, string userId) => db.HashIncrementAsync(BoardKey(boardId), userId);

    /// <summary>Withdraws every token for the board; the append script refuses writes to it (for good, unless restored from the trash).</summary>
    public static Task MarkDeletedAsync(IDatabaseAsync db, string boardId) => db.HashSetAsync(BoardKey(boardId), DeletedField, 1);

    /// <summary>
    /// A board restored from the trash takes tokens and writes again. Tokens issued before it went to the trash
    /// (≤ 5 min old) work again too; they carry the board's and user's revisions, so only people who still have
    /// access on the board are re-admitted.
    /// </summary>
    public static Task ClearDeletedAsync(IDatabaseAsync db, string boardId) => db.HashDeleteAsync(BoardKey(boardId), DeletedField);

    private static long ToLong(RedisValue value) => value.IsNull ? 0 : (long)value;
}

/// <summary>The current revisions for one user on one board, and whether the board was deleted.</summary>
public readonly record struct AccessState(long UserRevision, long BoardRevision, bool BoardDeleted)
{
    /// <summary>Whether a token issued with these revisions is still good.</summary>
    public bool Admits(long userRevision, long boardRevision) =>
        !BoardDeleted && userRevision >= UserRevision && boardRevision >= BoardRevision;
}
