using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using SharedCanvas.Web.Data;
using SharedCanvas.Web.Tokens;

namespace SharedCanvas.Testing;

/// <summary>
/// The site's current signing key, read the way the site reads it (its database, its key-encryption key,
/// its key store). Security tests use it to build tokens that differ from a real one in exactly one
/// respect — a wrong issuer, a lifetime too long — so that each check is tested on its own, with a valid
/// signature. It is the attacker who stole the key, which the realtime service must still hold to the rules.
/// </summary>
public sealed class SiteKeys
{
    private readonly SigningCredentials _credentials;

    private SiteKeys(SigningCredentials credentials) => _credentials = credentials;

    public string KeyId => _credentials.Key.KeyId;

    public static async Task<SiteKeys> LoadAsync(StackFixture stack)
    {
        var kek = stack.App.Services.GetRequiredService<DistributedApplicationModel>().Resources
            .OfType<ParameterResource>().Single(p => p.Name == "data-protection-kek");
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton(TimeProvider.System);
        services.AddDbContext<WebDbContext>(o => o.UseSqlite($"Data Source={Path.Combine(stack.DataDirectory, "web.db")}"));
        services.Configure<KeyEncryptionOptions>(o => o.KeyEncryptionKey = kek.GetValueAsync(default).AsTask().GetAwaiter().GetResult()!);
        services.AddDataProtection().SetApplicationName("SharedCanvas").PersistKeysToDbContext<WebDbContext>();
        services.AddOptions<KeyManagementOptions>().Configure<IOptions<KeyEncryptionOptions>>((keys, encryption) =>
        {
            keys.XmlEncryptor = new AesGcmXmlEncryptor(encryption.Value.DeriveKey());
            keys.AutoGenerateKeys = false;
        });
        services.Configure<AuthOptions>(o => o.Issuer = "unused");
        services.AddSingleton<SigningKeyStore>();
        await using var provider = services.BuildServiceProvider();
        var store = provider.GetRequiredService<SigningKeyStore>();
        await store.LoadAsync(default);
        return new SiteKeys(store.Current);
    }

    /// <summary>
    /// A token with the claims of <paramref name="model"/> (a real token), changed by <paramref name="change"/>,
    /// signed with the site's key.
    /// </summary>
    public string Sign(string model, Action<Forgery> change)
    {
        var original = new JsonWebToken(model);
        var forgery = new Forgery
        {
            Issuer = original.Issuer,
            Audience = original.Audiences.First(),
            Type = original.Typ,
            IssuedAt = original.IssuedAt,
            NotBefore = original.ValidFrom,
            Expires = original.ValidTo,
            Claims = original.Claims
                .Where(c => c.Type is not ("aud" or "iss" or "exp" or "nbf" or "iat"))
                .GroupBy(c => c.Type)
                .ToDictionary(g => g.Key, g => (object)g.First().Value),
        };
        change(forgery);
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = forgery.Issuer,
            Audience = forgery.Audience,
            IssuedAt = forgery.IssuedAt,
            NotBefore = forgery.NotBefore,
            Expires = forgery.Expires,
            Claims = forgery.Claims,
            TokenType = forgery.Type,
            SigningCredentials = _credentials,
        });
    }

    public sealed class Forgery
    {
        public string? Issuer { get; set; }

        public string? Audience { get; set; }

        public string? Type { get; set; }

        public DateTime? IssuedAt { get; set; }

        public DateTime? NotBefore { get; set; }

        public DateTime? Expires { get; set; }

        public required Dictionary<string, object> Claims { get; init; }
    }
}
