using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace SharedCanvas.Testing;

/// <summary>
/// Builds tokens an attacker could build: the claims of a real token, re-signed with a key the site never
/// published, or changed. The realtime service must refuse every one of them.
/// </summary>
public static class TokenForge
{
    public static JsonWebToken Read(string token) => new(token);

    /// <summary>The same header and claims, signed with a fresh ES256 key (optionally claiming the real key's id).</summary>
    public static string ResignWithForeignKey(string token, bool keepKeyId, Action<Dictionary<string, object>>? change = null)
    {
        var original = Read(token);
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var key = new ECDsaSecurityKey(ecdsa) { KeyId = keepKeyId ? original.Kid : "forged-" + Guid.NewGuid().ToString("N")[..8] };
        var claims = original.Claims
            .Where(c => c.Type is not ("aud" or "iss" or "exp" or "nbf" or "iat"))
            .GroupBy(c => c.Type)
            .ToDictionary(g => g.Key, g => (object)g.First().Value);
        change?.Invoke(claims);
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = original.Issuer,
            Audience = original.Audiences.First(),
            IssuedAt = original.IssuedAt,
            NotBefore = original.ValidFrom,
            Expires = original.ValidTo,
            Claims = claims,
            TokenType = original.Typ,
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.EcdsaSha256),
        });
    }
}
