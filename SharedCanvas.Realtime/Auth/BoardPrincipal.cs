namespace SharedCanvas.Realtime.Auth;

/// <summary>Who holds a socket, on which board, with which role, until when (from a validated token).</summary>
public sealed record BoardPrincipal(string UserId, string Name, string BoardId, BoardRole Role, DateTimeOffset ExpiresAt);

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
            case "viewer": role = BoardRole.Viewer; return true;
            case "editor": role = BoardRole.Editor; return true;
            case "owner": role = BoardRole.Owner; return true;
            default: role = default; return false;
        }
    }

    public static string ToWire(this BoardRole role) => role switch
    {
        BoardRole.Owner => "owner",
        BoardRole.Editor => "editor",
        _ => "viewer",
    };

    public static bool CanWrite(this BoardRole role) => role is BoardRole.Editor or BoardRole.Owner;
}
