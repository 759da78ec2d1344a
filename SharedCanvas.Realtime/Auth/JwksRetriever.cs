using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace SharedCanvas.Realtime.Auth;

/// <summary>
/// Reads a bare JSON Web Key Set (the site's <c>/.well-known/jwks.json</c>) into the configuration
/// object the token handler consumes, so that IdentityModel's <see cref="ConfigurationManager{T}"/>
/// caches it, refreshes it on an unknown <c>kid</c> and keeps the last known good set.
/// </summary>
internal sealed class JwksRetriever : IConfigurationRetriever<OpenIdConnectConfiguration>
{
    public async Task<OpenIdConnectConfiguration> GetConfigurationAsync(string address, IDocumentRetriever retriever, CancellationToken cancel)
    {
        var document = await retriever.GetDocumentAsync(address, cancel).ConfigureAwait(false);
        var keySet = new JsonWebKeySet(document);
        var configuration = new OpenIdConnectConfiguration { JsonWebKeySet = keySet };
        foreach (var key in keySet.GetSigningKeys())
        {
            configuration.SigningKeys.Add(key);
        }

        if (configuration.SigningKeys.Count == 0)
        {
            throw new InvalidOperationException($"The key set at {address} holds no signing keys.");
        }

        return configuration;
    }
}
