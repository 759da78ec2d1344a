namespace SharedCanvas.Realtime.Auth;

/// <summary>Who holds a socket, on which board, with which role, until when (from a validated token).</summary>
/// <param name="UserRevision">The user's access revision the token carries (docs/security.md, "Withdrawn access").</param>
/// <param name="BoardRevision">The user's revision on the board that the token carries.</param>
public sealed record BoardPrincipal(string UserId, string Name, string BoardId, BoardRole Role, DateTimeOffset ExpiresAt,
    long UserRevision = 0, long BoardRevision = 0);

public enum BoardRole
{
    Viewer,
    Editor,
    Owner,
}

public static class BoardRoles
{
    public static bool TryParse(string? value, out BoardRole role)
    {
        switch (value)
        {
            case Contracts.Roles.Viewer: role = BoardRole.Viewer; return true;
            case Contracts.Roles.Editor: role = BoardRole.Editor; return true;
            case Contracts.Roles.Owner: role = BoardRole.Owner; return true;
            default: role = default; return false;
        }
    }

    public static string ToWire(this BoardRole role) => role switch
    {
        BoardRole.Owner => Contracts.Roles.Owner,
        BoardRole.Editor => Contracts.Roles.Editor,
        _ => Contracts.Roles.Viewer,
    };

    public static bool CanWrite(this BoardRole role) => role is BoardRole.Editor or BoardRole.Owner;
}
