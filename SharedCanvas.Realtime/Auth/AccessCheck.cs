using SharedCanvas.Contracts;
using StackExchange.Redis;

namespace SharedCanvas.Realtime.Auth;

/// <summary>
/// Whether a valid token was withdrawn after it was issued: its board deleted, its user removed or their role
/// lowered, its user signed out everywhere or deleted (<see cref="AccessRevisions"/>). Asked at the handshake
/// and on renewal; the append script asks the board's half of it again for every write.
/// </summary>
public sealed class AccessCheck(IConnectionMultiplexer redis)
{
    /// <summary>Why the principal's token no longer holds, or null when it does.</summary>
    public async Task<string?> RefusalAsync(BoardPrincipal principal)
    {
        var state = await AccessRevisions.ReadAsync(redis.GetDatabase(), principal.BoardId, principal.UserId).ConfigureAwait(false);
        return state.BoardDeleted ? "board deleted"
            : !state.Admits(principal.UserRevision, principal.BoardRevision) ? "access withdrawn after the token was issued"
            : null;
    }
}
