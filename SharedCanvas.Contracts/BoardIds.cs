using System.Security.Cryptography;

namespace SharedCanvas.Contracts;

/// <summary>Board ids: 32 lowercase hex digits (128 random bits), chosen by the site.</summary>
public static class BoardIds
{
    public static string New() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

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
