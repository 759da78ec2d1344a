namespace SharedCanvas.Web.Model;

/// <summary>
/// One refresh token of a cookie-less client. Only its SHA-256 hash is stored. Each use replaces it with
/// a new one of the same family; using a replaced one again means it was stolen, and revokes the family.
/// </summary>
public sealed class RefreshToken
{
    /// <summary>Hex SHA-256 of the token.</summary>
    public required string Id { get; init; }

    public required string FamilyId { get; init; }

    public required string UserId { get; init; }

    public DateTime CreatedAt { get; init; }

    /// <summary>The family's absolute end: rotation never extends it.</summary>
    public DateTime ExpiresAt { get; init; }

    public DateTime? ReplacedAt { get; set; }

    public DateTime? RevokedAt { get; set; }

    /// <summary>The user's security stamp when the family began: a password change or "sign out everywhere" changes it.</summary>
    public required string SecurityStamp { get; init; }
}
