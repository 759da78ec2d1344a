using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using SharedCanvas.Web.Data;
using SharedCanvas.Web.Model;

namespace SharedCanvas.Web.Tokens;

/// <summary>
/// The ES256 keys the site signs tokens with. Keys live in the database with the private half encrypted
/// by Data Protection (whose keys are encrypted in turn with the key-encryption key), so tokens stay
/// valid across restarts and every replica signs with the same key set. Keys rotate: after
/// <see cref="AuthOptions.SigningKeyLifetime"/> a new key signs, and the old one stays in the JWKS until
/// every token it signed has expired, so the realtime service never refuses a valid token.
/// </summary>
public sealed partial class SigningKeyStore(
    IServiceScopeFactory scopes, IDataProtectionProvider dataProtection, IOptions<AuthOptions> options, TimeProvider time, ILogger<SigningKeyStore> logger)
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

    /// <summary>How long a retired key stays published: longer than any token it signed can live.</summary>
    private TimeSpan PublishAfterRetirement => options.Value.AccessTokenLifetime + TimeSpan.FromMinutes(5);

    /// <summary>Loads the key set, creating a key when there is none this site can use.</summary>
    public async Task LoadAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<WebDbContext>();
        var now = time.GetUtcNow().UtcDateTime;
        var keys = await UsableKeysAsync(db, cancellationToken);
        if (!keys.Any(k => k.Retired is null && k.Activates <= now))
        {
            await CreateKeyAsync(db, activatesAt: now, cancellationToken);
            keys = await UsableKeysAsync(db, cancellationToken);
        }

        // The newest key that has started signing signs; a newer one may already be published, waiting.
        var signing = keys.Where(k => k.Retired is null && k.Activates <= now).MaxBy(k => k.Activates)!.Key;
        _keys = new KeySet(
            new SigningCredentials(signing, SecurityAlgorithms.EcdsaSha256),
            [.. keys.Select(k => k.Key)],
            JsonSerializer.SerializeToUtf8Bytes(new JwksDocumentJson([.. keys.Select(k => ToPublicJwk(k.Key))]), JwksJsonContext.Default.JwksDocumentJson));
    }

    /// <summary>
    /// Rotates: when the newest key has signed for <see cref="AuthOptions.SigningKeyLifetime"/>, publishes its
    /// successor (which signs after <see cref="AuthOptions.SigningKeyActivationDelay"/>); once a successor
    /// signs, retires the keys before it (still published while their tokens live); forgets keys no token needs.
    /// </summary>
    public async Task RotateIfDueAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<WebDbContext>();
        var now = time.GetUtcNow().UtcDateTime;
        var newest = await db.SigningKeys.Where(k => k.RetiredAt == null).OrderByDescending(k => k.ActivatesAt).FirstOrDefaultAsync(cancellationToken);
        if (newest is not null && newest.ActivatesAt <= now && now - newest.ActivatesAt >= options.Value.SigningKeyLifetime)
        {
            await CreateKeyAsync(db, activatesAt: now + options.Value.SigningKeyActivationDelay, cancellationToken);
            LogRotated();
        }

        var signing = await db.SigningKeys.Where(k => k.RetiredAt == null && k.ActivatesAt <= now)
            .OrderByDescending(k => k.ActivatesAt).Select(k => (DateTime?)k.ActivatesAt).FirstOrDefaultAsync(cancellationToken);
        if (signing is { } since)
        {
            await db.SigningKeys.Where(k => k.RetiredAt == null && k.ActivatesAt < since)
                .ExecuteUpdateAsync(k => k.SetProperty(x => x.RetiredAt, since), cancellationToken);
        }

        var forgetBefore = now - PublishAfterRetirement;
        await db.SigningKeys.Where(k => k.RetiredAt != null && k.RetiredAt < forgetBefore).ExecuteDeleteAsync(cancellationToken);
    }

    private async Task<List<(ECDsaSecurityKey Key, DateTime Activates, DateTime? Retired)>> UsableKeysAsync(WebDbContext db, CancellationToken cancellationToken)
    {
        var publishedSince = time.GetUtcNow().UtcDateTime - PublishAfterRetirement;
        var stored = await db.SigningKeys.AsNoTracking()
            .Where(k => k.RetiredAt == null || k.RetiredAt > publishedSince)
            .ToListAsync(cancellationToken);
        var usable = new List<(ECDsaSecurityKey, DateTime, DateTime?)>();
        foreach (var key in stored)
        {
            try
            {
                usable.Add((Unprotect(key), key.ActivatesAt, key.RetiredAt));
            }
            catch (CryptographicException ex)
            {
                // Encrypted under keys this site no longer has (the key-encryption key changed): the key is
                // useless, and tokens it signed die with it. Retire it so a new one takes its place.
                LogUnusableKey(ex, key.Id);
                await db.SigningKeys.Where(k => k.Id == key.Id && k.RetiredAt == null)
                    .ExecuteUpdateAsync(k => k.SetProperty(x => x.RetiredAt, time.GetUtcNow().UtcDateTime), cancellationToken);
            }
        }

        return usable;
    }

    private async Task CreateKeyAsync(WebDbContext db, DateTime activatesAt, CancellationToken cancellationToken)
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var jwk = JsonWebKeyConverter.ConvertFromECDsaSecurityKey(new ECDsaSecurityKey(ecdsa));
        db.SigningKeys.Add(new SigningKey
        {
            Id = Base64UrlEncoder.Encode(jwk.ComputeJwkThumbprint()),
            CreatedAt = time.GetUtcNow().UtcDateTime,
            ActivatesAt = activatesAt,
            ProtectedPrivateKey = Convert.ToBase64String(_protector.Protect(ecdsa.ExportPkcs8PrivateKey())),
        });
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // Another replica stored a key at the same moment: both are published, the newest signs.
        }
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Signing key rotation: a new key is published and starts signing after the activation delay")]
    private partial void LogRotated();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Signing key {KeyId} cannot be decrypted with this site's keys; retiring it")]
    private partial void LogUnusableKey(Exception exception, string keyId);

    private sealed record KeySet(SigningCredentials Signing, IReadOnlyList<SecurityKey> Verification, ReadOnlyMemory<byte> Jwks);
}

/// <summary>Reloads the key set on every replica and rotates the signing key when it is due.</summary>
public sealed partial class SigningKeyRotation(SigningKeyStore keys, IOptions<AuthOptions> options, TimeProvider time, ILogger<SigningKeyRotation> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.KeyReloadInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await keys.RotateIfDueAsync(stoppingToken);
                    await keys.LoadAsync(stoppingToken);
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    // The database away, or anything else: the current keys keep signing; never the end of the site.
                    LogReloadFailed(ex);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not reload the signing keys; keeping the current ones")]
    private partial void LogReloadFailed(Exception exception);
}

internal sealed record PublicJwk(string Kty, string Crv, string X, string Y, string Kid, string Use, string Alg);

internal sealed record JwksDocumentJson(PublicJwk[] Keys);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(JwksDocumentJson))]
internal sealed partial class JwksJsonContext : JsonSerializerContext;
