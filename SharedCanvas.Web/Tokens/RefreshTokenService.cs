using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using SharedCanvas.Web.Data;
using SharedCanvas.Web.Model;

namespace SharedCanvas.Web.Tokens;

public sealed record IssuedRefreshToken(string Token, DateTimeOffset ExpiresAt);

/// <summary>
/// Refresh tokens for cookie-less clients: opaque random values (only hashes are stored), rotated at each
/// use, with reuse detection (a replaced token used again revokes its whole family), an absolute
/// lifetime, and death on sign-out, password change and "sign out everywhere" (the security stamp).
/// </summary>
public sealed partial class RefreshTokenService(WebDbContext db, UserManager<AppUser> users, IOptions<AuthOptions> options, TimeProvider time,
    WebTelemetry telemetry, ILogger<RefreshTokenService> logger)
{
    public async Task<IssuedRefreshToken> IssueAsync(AppUser user, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        return await StoreAsync(user, Guid.NewGuid().ToString("N"), now + options.Value.RefreshTokenLifetime, await users.GetSecurityStampAsync(user), cancellationToken);
    }

    /// <summary>Exchanges a refresh token for its successor; null (and the family revoked, where that is why) if it may not be used.</summary>
    public async Task<(AppUser User, IssuedRefreshToken Next)?> RedeemAsync(string? token, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(token) || token.Length > 200)
        {
            return null;
        }

        var id = Hash(token);
        var stored = await db.RefreshTokens.AsNoTracking().FirstOrDefaultAsync(t => t.Id == id, cancellationToken);
        if (stored is null || stored.RevokedAt is not null)
        {
            return null;
        }

        var now = time.GetUtcNow().UtcDateTime;
        // Claim it: only one request can replace a token. Losing that race, or finding it replaced, is reuse.
        var claimed = await db.RefreshTokens
            .Where(t => t.Id == id && t.ReplacedAt == null && t.RevokedAt == null)
            .ExecuteUpdateAsync(t => t.SetProperty(x => x.ReplacedAt, now), cancellationToken);
        if (claimed == 0)
        {
            LogReuse(stored.FamilyId, stored.UserId);
            await RevokeFamilyAsync(stored.FamilyId, cancellationToken);
            return null;
        }

        var user = await users.FindByIdAsync(stored.UserId);
        if (now >= stored.ExpiresAt || user is null || await users.IsLockedOutAsync(user)
            || await users.GetSecurityStampAsync(user) != stored.SecurityStamp)
        {
            await RevokeFamilyAsync(stored.FamilyId, cancellationToken);
            return null;
        }

        return (user, await StoreAsync(user, stored.FamilyId, stored.ExpiresAt, stored.SecurityStamp, cancellationToken));
    }

    /// <summary>Signs a cookie-less client out: the token's whole family stops working.</summary>
    public async Task RevokeAsync(string? token, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(token) || token.Length > 200)
        {
            return;
        }

        var id = Hash(token);
        var familyId = await db.RefreshTokens.Where(t => t.Id == id).Select(t => t.FamilyId).FirstOrDefaultAsync(cancellationToken);
        if (familyId is not null)
        {
            await RevokeFamilyAsync(familyId, cancellationToken);
        }
    }

    private Task RevokeFamilyAsync(string familyId, CancellationToken cancellationToken) =>
        db.RefreshTokens.Where(t => t.FamilyId == familyId && t.RevokedAt == null)
            .ExecuteUpdateAsync(t => t.SetProperty(x => x.RevokedAt, time.GetUtcNow().UtcDateTime), cancellationToken);

    private async Task<IssuedRefreshToken> StoreAsync(AppUser user, string familyId, DateTime expiresAt, string? stamp, CancellationToken cancellationToken)
    {
        var token = Base64Url(RandomNumberGenerator.GetBytes(32));
        telemetry.TokensIssued.Add(1, new KeyValuePair<string, object?>("kind", "refresh"));
        db.RefreshTokens.Add(new RefreshToken
        {
            Id = Hash(token),
            FamilyId = familyId,
            UserId = user.Id,
            CreatedAt = time.GetUtcNow().UtcDateTime,
            ExpiresAt = expiresAt,
            SecurityStamp = stamp ?? "",
        });
        await db.SaveChangesAsync(cancellationToken);
        return new IssuedRefreshToken(token, new DateTimeOffset(expiresAt, TimeSpan.Zero));
    }

    private static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    [LoggerMessage(Level = LogLevel.Warning, Message = "A replaced refresh token was used again (family {FamilyId}, user {UserId}): the family is revoked")]
    private partial void LogReuse(string familyId, string userId);
}
