using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using SharedCanvas.Contracts;

namespace SharedCanvas.Realtime.Auth;

/// <summary>
/// Validates the site's realtime tokens, at the handshake and for in-band renewal: ES256 only, typed
/// <c>at+jwt</c>, the site's issuer, the realtime audience, not before <c>nbf</c> nor after <c>exp</c>
/// (30 s of clock skew at most), a lifetime of at most five minutes, a <c>jti</c>, a board and a role.
/// Keys come only from the site's JWKS (never from token headers); an unknown <c>kid</c> triggers a
/// rate-limited refetch (<see cref="SiteKeySet"/>).
/// </summary>
public sealed class BoardTokenValidator
{
    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };
    private readonly TokenValidationParameters _parameters;
    private readonly SiteKeySet _keys;
    private readonly TimeSpan _maxLifetime;

    public BoardTokenValidator(IOptions<RealtimeAuthOptions> options, SiteKeySet keys)
    {
        var settings = options.Value;
        _keys = keys;
        _maxLifetime = settings.MaxTokenLifetime;
        ClockSkew = settings.ClockSkew;
        _parameters = new TokenValidationParameters
        {
            ValidIssuer = settings.Issuer,
            ValidAudience = settings.Audience,
            ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256],
            ValidTypes = ["at+jwt"],
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            ValidateLifetime = true,
            // Only the key the token names: a token without a kid, or with one the site never published, fails.
            TryAllIssuerSigningKeys = false,
            ClockSkew = settings.ClockSkew,
        };
    }

    /// <summary>The clock difference allowed with the site; a socket's token counts as expired only after it.</summary>
    public TimeSpan ClockSkew { get; }

    /// <summary>The principal the token names, or null with a reason for logs (never the token itself).</summary>
    public async Task<(BoardPrincipal? Principal, string? Failure)> ValidateAsync(string? token)
    {
        if (string.IsNullOrEmpty(token) || token.Length > 8192 || !_handler.CanReadToken(token))
        {
            return (null, "missing or unreadable");
        }

        string? keyId;
        try
        {
            keyId = _handler.ReadJsonWebToken(token).Kid;
        }
        catch (Exception ex) when (ex is ArgumentException or SecurityTokenMalformedException)
        {
            return (null, "malformed");
        }

        var parameters = _parameters.Clone();
        parameters.IssuerSigningKeys = await _keys.GetAsync(keyId, CancellationToken.None);
        var result = await _handler.ValidateTokenAsync(token, parameters);
        if (!result.IsValid)
        {
            return (null, result.Exception?.GetType().Name ?? "invalid");
        }

        var jwt = (JsonWebToken)result.SecurityToken;
        if (!jwt.TryGetPayloadValue<long>("iat", out _) || jwt.ValidTo - jwt.IssuedAt > _maxLifetime || string.IsNullOrEmpty(jwt.Id))
        {
            // Every token the site issues has an issue time, a jti and a lifetime of at most five minutes.
            return (null, "lifetime");
        }

        if (!jwt.TryGetPayloadValue<string>("sub", out var userId) || string.IsNullOrEmpty(userId)
            || !jwt.TryGetPayloadValue<string>(TokenClaims.Board, out var boardId) || !BoardIds.IsValid(boardId)
            || !jwt.TryGetPayloadValue<string>(TokenClaims.Role, out var roleName) || !BoardRoles.TryParse(roleName, out var role))
        {
            return (null, "claims");
        }

        // Tokens from before revisions existed carry none: revision 0, which any withdrawal outdates.
        var userRevision = jwt.TryGetPayloadValue<long>(TokenClaims.UserRevision, out var u) ? u : 0;
        var boardRevision = jwt.TryGetPayloadValue<long>(TokenClaims.BoardRevision, out var b) ? b : 0;
        var name = jwt.TryGetPayloadValue<string>(TokenClaims.Name, out var n) && !string.IsNullOrEmpty(n) ? n : userId;
        return (new BoardPrincipal(userId, name, boardId, role, new DateTimeOffset(jwt.ValidTo, TimeSpan.Zero), userRevision, boardRevision), null);
    }
}
