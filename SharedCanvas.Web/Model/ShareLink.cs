using System.Security.Cryptography;

namespace SharedCanvas.Web.Model;

/// <summary>
/// A link the owner hands out: whoever opens it while signed in joins the board with its role. The id is
/// the secret in the URL (128 random bits); a revoked link stops working.
/// </summary>
public sealed class ShareLink
{
    public required string Id { get; init; }

    public required string BoardId { get; init; }

    public required string Role { get; init; }

    public DateTime CreatedAt { get; init; }

    public DateTime? RevokedAt { get; set; }

    public static string NewId() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(16))
        .TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
