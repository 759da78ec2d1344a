namespace SharedCanvas.Realtime.Auth;

public static class BoardIds
{
    /// <summary>Board ids are 32 lowercase hex digits (the site's format).</summary>
    public static bool IsValid(string? id)
    {
        if (id is not { Length: 32 })
        {
            return false;
        }

        foreach (var c in id)
        {
            if (c is not ((>= '0' and <= '9') or (>= 'a' and <= 'f')))
            {
                return false;
            }
        }

        return true;
    }
}
