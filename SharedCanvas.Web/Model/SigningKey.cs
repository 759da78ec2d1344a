namespace SharedCanvas.Web.Model;

/// <summary>
/// One ES256 key the site signs tokens with. The private key is stored encrypted with ASP.NET Data
/// Protection; the public half is what <c>/.well-known/jwks.json</c> publishes.
/// </summary>
public sealed class SigningKey
{
    /// <summary>The key id (<c>kid</c>): the key's RFC 7638 JWK thumbprint.</summary>
    public required string Id { get; init; }

    public DateTime CreatedAt { get; init; }

    /// <summary>
    /// When the key starts signing. A rotated-in key is published first and signs only later, so the
    /// realtime service has usually fetched it before it meets a token signed with it.
    /// </summary>
    public DateTime ActivatesAt { get; init; }

    /// <summary>When the key stopped signing; it is still published until tokens it signed have expired.</summary>
    public DateTime? RetiredAt { get; set; }

    public required string ProtectedPrivateKey { get; init; }
}
