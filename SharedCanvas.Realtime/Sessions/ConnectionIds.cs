using System.Security.Cryptography;
using System.Text;

namespace SharedCanvas.Realtime.Sessions;

internal static class ConnectionIds
{
    private const string Alphabet = "abcdefghijkmnpqrstuvwxyz23456789";

    /// <summary>A short random id for a socket, unique across replicas in practice (60 random bits).</summary>
    public static string New()
    {
        Span<byte> bytes = stackalloc byte[12];
        RandomNumberGenerator.Fill(bytes);
        var id = new StringBuilder("c-", 14);
        foreach (var b in bytes)
        {
            id.Append(Alphabet[b & 31]);
        }

        return id.ToString();
    }
}

/// <summary>A person's colour for presence and cursors, the same on every replica.</summary>
public static class UserColors
{
    private static readonly string[] Palette =
    [
        "#e8590c", "#2f9e44", "#1971c2", "#9c36b5", "#c2255c", "#0c8599",
        "#f08c00", "#5f3dc4", "#2b8a3e", "#d6336c", "#1864ab", "#e67700",
    ];

    public static string For(string userId)
    {
        // FNV-1a: stable across processes, unlike string.GetHashCode.
        var hash = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes(userId))
        {
            hash = (hash ^ b) * 16777619u;
        }

        return Palette[hash % (uint)Palette.Length];
    }
}
