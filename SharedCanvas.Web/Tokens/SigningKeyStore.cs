using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.IdentityModel.Tokens;
using SharedCanvas.Web.Data;
using SharedCanvas.Web.Model;

namespace SharedCanvas.Web.Tokens;

/// <summary>
/// The ES256 keys the site signs tokens with. Keys are generated on first start, stored in the database
/// with the private half encrypted by Data Protection, and loaded by every replica of the site, so that
/// tokens stay valid across restarts and all replicas sign with the same key set.
/// </summary>
public sealed class SigningKeyStore(IServiceScopeFactory scopes, IDataProtectionProvider dataProtection, TimeProvider time)
{
    private readonly IDataProtector _protector = dataProtection.CreateProtector("SharedCanvas.Web.SigningKeys.v1");
    private volatile KeySet? _keys;

    /// <summary>The credentials that sign new tokens.</summary>
    public SigningCredentials Current => Keys.Signing;

    /// <summary>Every key that verifies tokens the site issued (the current one and those not yet expired).</summary>
    public IReadOnlyList<SecurityKey> VerificationKeys => Keys.Verification;

    /// <summary>The public JSON Web Key Set, serialized once.</summary>
    public ReadOnlyMemory<byte> JwksDocument => Keys.Jwks;

    private KeySet Keys => _keys ?? throw new InvalidOperationException("The signing keys have not been loaded yet.");

    /// <summary>Loads the key set, creating the first key if there is none.</summary>
    public async Task LoadAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<WebDbContext>();

        var stored = await db.SigningKeys.AsNoTracking().Where(k => k.RetiredAt == null).ToListAsync(cancellationToken);
        if (stored.Count == 0)
        {
            db.SigningKeys.Add(CreateKey());
            try
            {
                await db.SaveChangesAsync(cancellationToken);
            }
            catch (DbUpdateException)
            {
                // Another replica created the first key at the same moment: use the stored one.
            }

            stored = await db.SigningKeys.AsNoTracking().Where(k => k.RetiredAt == null).ToListAsync(cancellationToken);
        }

        var keys = stored.OrderByDescending(k => k.CreatedAt).Select(Unprotect).ToList();
        _keys = new KeySet(
            new SigningCredentials(keys[0], SecurityAlgorithms.EcdsaSha256),
            keys,
            JsonSerializer.SerializeToUtf8Bytes(new JwksDocumentJson([.. keys.Select(ToPublicJwk)]), JwksJsonContext.Default.JwksDocumentJson));
    }

    private SigningKey CreateKey()
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var securityKey = new ECDsaSecurityKey(ecdsa);
        var jwk = JsonWebKeyConverter.ConvertFromECDsaSecurityKey(securityKey);
        return new SigningKey
        {
            Id = Base64UrlEncoder.Encode(jwk.ComputeJwkThumbprint()),
            CreatedAt = time.GetUtcNow().UtcDateTime,
            ProtectedPrivateKey = Convert.ToBase64String(_protector.Protect(ecdsa.ExportPkcs8PrivateKey())),
        };
    }

    private ECDsaSecurityKey Unprotect(SigningKey key)
    {
        var ecdsa = ECDsa.Create();
        ecdsa.ImportPkcs8PrivateKey(_protector.Unprotect(Convert.FromBase64String(key.ProtectedPrivateKey)), out _);
        return new ECDsaSecurityKey(ecdsa) { KeyId = key.Id };
    }

    private static PublicJwk ToPublicJwk(ECDsaSecurityKey key)
    {
        var parameters = key.ECDsa.ExportParameters(includePrivateParameters: false);
        return new PublicJwk(
            Kty: "EC",
            Crv: "P-256",
            X: Base64UrlEncoder.Encode(parameters.Q.X!),
            Y: Base64UrlEncoder.Encode(parameters.Q.Y!),
            Kid: key.KeyId,
            Use: "sig",
            Alg: SecurityAlgorithms.EcdsaSha256);
    }

    private sealed record KeySet(SigningCredentials Signing, IReadOnlyList<SecurityKey> Verification, ReadOnlyMemory<byte> Jwks);
}

internal sealed record PublicJwk(string Kty, string Crv, string X, string Y, string Kid, string Use, string Alg);

internal sealed record JwksDocumentJson(PublicJwk[] Keys);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(JwksDocumentJson))]
internal sealed partial class JwksJsonContext : JsonSerializerContext;
