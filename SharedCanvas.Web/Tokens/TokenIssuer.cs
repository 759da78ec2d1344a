using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using SharedCanvas.Contracts;
using SharedCanvas.Web.Model;

namespace SharedCanvas.Web.Tokens;

/// <summary>An access token and the moment it stops being valid.</summary>
public sealed record IssuedToken(string AccessToken, DateTimeOffset ExpiresAt);

/// <summary>
/// Mints the site's access tokens: ES256, short-lived, typed <c>at+jwt</c>, each with a <c>jti</c>.
/// Only the site holds the private keys; the realtime service can verify tokens but never mint one.
/// </summary>
public sealed class TokenIssuer(SigningKeyStore keys, IOptions<AuthOptions> options, TimeProvider time, WebTelemetry telemetry)
{
    private readonly JsonWebTokenHandler _handler = new() { SetDefaultTimesOnTokenCreation = false };

    /// <summary>
    /// A token for one board on the realtime service, with the user's role on it and the access revisions
    /// read <em>before</em> that role was (<see cref="AccessRevisions"/>), so that a withdrawal refuses it.
    /// </summary>
    public IssuedToken IssueRealtimeToken(AppUser user, string boardId, string role, AccessState revisions)
    {
        using var activity = WebTelemetry.Source.StartActivity("issue realtime token");
        activity?.SetTag("sharedcanvas.board.id", boardId);
        activity?.SetTag("sharedcanvas.role", role);
        activity?.SetTag("enduser.id", user.Id);
        telemetry.TokensIssued.Add(1, new KeyValuePair<string, object?>("kind", "realtime"));
        return Issue(options.Value.RealtimeAudience, user, new Dictionary<string, object>
        {
            [TokenClaims.Board] = boardId,
            [TokenClaims.Role] = role,
            [TokenClaims.UserRevision] = revisions.UserRevision,
            [TokenClaims.BoardRevision] = revisions.BoardRevision,
        });
    }

    /// <summary>
    /// A token for the site's own API, for clients that do not use cookies. It names no board; it carries a
    /// digest of the user's security stamp, so that it stops working when the stamp changes ("sign out
    /// everywhere", a new password), as cookies do.
    /// </summary>
    public IssuedToken IssueApiToken(AppUser user)
    {
        using var activity = WebTelemetry.Source.StartActivity("issue api token");
        activity?.SetTag("enduser.id", user.Id);
        telemetry.TokensIssued.Add(1, new KeyValuePair<string, object?>("kind", "api"));
        return Issue(options.Value.ApiAudience, user, new Dictionary<string, object> { [TokenClaims.StampDigest] = StampDigest(user.SecurityStamp) });
    }

    /// <summary>A digest of a security stamp (the stamp itself never leaves the database).</summary>
    public static string StampDigest(string? securityStamp) =>
        Base64UrlEncoder.Encode(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(securityStamp ?? "")))[..22];

    private IssuedToken Issue(string audience, AppUser user, Dictionary<string, object> claims)
    {
        var settings = options.Value;
        var now = time.GetUtcNow();
        var expires = now + settings.AccessTokenLifetime;

        claims[JwtRegisteredClaimNames.Sub] = user.Id;
        claims[TokenClaims.Name] = user.UserName ?? user.Id;
        claims[JwtRegisteredClaimNames.Jti] = Guid.NewGuid().ToString("N");

        var token = _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = settings.Issuer,
            Audience = audience,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = expires.UtcDateTime,
            Claims = claims,
            TokenType = TokenClaims.AccessTokenType,
            SigningCredentials = keys.Current,
        });

        return new IssuedToken(token, DateTimeOffset.FromUnixTimeSeconds(expires.ToUnixTimeSeconds()));
    }

    /// <summary>The parameters that validate the site's own API tokens (for the bearer scheme).</summary>
    public static TokenValidationParameters ApiValidationParameters(AuthOptions settings, SigningKeyStore keys) => new()
    {
        ValidIssuer = settings.Issuer,
        ValidAudience = settings.ApiAudience,
        ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256],
        ValidTypes = [TokenClaims.AccessTokenType],
        IssuerSigningKeyResolver = (_, _, _, _) => keys.VerificationKeys,
        RequireSignedTokens = true,
        RequireExpirationTime = true,
        ClockSkew = TimeSpan.FromSeconds(30),
        NameClaimType = TokenClaims.Name,
        AuthenticationType = "Bearer",
    };
}
