using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace SharedCanvas.Realtime.Auth;

/// <summary>
/// Validates the site's realtime tokens, at the handshake and for in-band renewal: ES256 only, typed
/// <c>at+jwt</c>, the site's issuer, the realtime audience, a lifetime, a board and a role. Keys come only
/// from the site's JWKS (never from token headers); an unknown <c>kid</c> triggers a rate-limited refetch.
/// </summary>
public sealed class BoardTokenValidator
{
    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };
    private readonly TokenValidationParameters _parameters;

    public BoardTokenValidator(IOptions<RealtimeAuthOptions> options, IHttpClientFactory httpClients)
    {
        var settings = options.Value;
        var documents = new HttpDocumentRetriever(httpClients.CreateClient(nameof(BoardTokenValidator)))
        {
            RequireHttps = settings.RequireHttpsMetadata,
        };
        var configuration = new ConfigurationManager<OpenIdConnectConfiguration>(settings.JwksUrl, new JwksRetriever(), documents)
        {
            RefreshInterval = settings.JwksMinimumRefreshInterval,
            AutomaticRefreshInterval = settings.JwksAutomaticRefreshInterval,
        };

        _parameters = new TokenValidationParameters
        {
            ConfigurationManager = configuration,
            ValidIssuer = settings.Issuer,
            ValidAudience = settings.Audience,
            ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256],
            ValidTypes = ["at+jwt"],
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            ValidateLifetime = true,
            ClockSkew = settings.ClockSkew,
        };
    }

    /// <summary>The principal the token names, or null with a reason for logs (never the token itself).</summary>
    public async Task<(BoardPrincipal? Principal, string? Failure)> ValidateAsync(string? token)
    {
        if (string.IsNullOrEmpty(token) || token.Length > 8192)
        {
            return (null, "missing");
        }

        // The handler records refresh state on the parameters: each validation gets its own copy.
        var result = await _handler.ValidateTokenAsync(token, _parameters.Clone());
        if (!result.IsValid)
        {
            return (null, result.Exception?.GetType().Name ?? "invalid");
        }

        var jwt = (JsonWebToken)result.SecurityToken;
        if (!jwt.TryGetPayloadValue<string>("sub", out var userId) || string.IsNullOrEmpty(userId)
            || !jwt.TryGetPayloadValue<string>("board", out var boardId) || !BoardIds.IsValid(boardId)
            || !jwt.TryGetPayloadValue<string>("role", out var roleName) || !BoardRoles.TryParse(roleName, out var role))
        {
            return (null, "claims");
        }

        var name = jwt.TryGetPayloadValue<string>("name", out var n) && !string.IsNullOrEmpty(n) ? n : userId;
        return (new BoardPrincipal(userId, name, boardId, role, new DateTimeOffset(jwt.ValidTo, TimeSpan.Zero)), null);
    }
}
