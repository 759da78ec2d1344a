using Microsoft.AspNetCore.DataProtection;

namespace SharedCanvas.Web.Accounts;

/// <summary>
/// "Device cookies" (OWASP): a browser that signed in to an account, or created it, receives a protected cookie
/// naming that account and a random id. Its later sign-ins to the account are throttled on their own
/// (<see cref="SignInThrottle"/>), so that someone guessing the password elsewhere cannot keep the person out.
/// </summary>
public sealed class TrustedDevices(IDataProtectionProvider protection, IHostEnvironment environment)
{
    public const string CookieName = "sharedcanvas.device";

    private readonly IDataProtector _protector = protection.CreateProtector("SharedCanvas.TrustedDevice.v1");

    /// <summary>The id of this browser if it is trusted for <paramref name="normalizedUserName"/>, else null.</summary>
    public string? Read(HttpRequest request, string normalizedUserName)
    {
        if (request.Cookies[CookieName] is not { Length: > 0 and < 1024 } cookie)
        {
            return null;
        }

        try
        {
            var parts = _protector.Unprotect(cookie).Split('\n');
            return parts is [var name, var device] && name == normalizedUserName ? device : null;
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            return null;
        }
    }

    /// <summary>Marks this browser as trusted for the account it just signed in to.</summary>
    public void Trust(HttpResponse response, string normalizedUserName) =>
        response.Cookies.Append(CookieName, _protector.Protect($"{normalizedUserName}\n{Guid.NewGuid():N}"), new CookieOptions
        {
            HttpOnly = true,
            Secure = !environment.IsDevelopment(),
            SameSite = SameSiteMode.Strict,
            Path = "/",
            IsEssential = true,
            MaxAge = TimeSpan.FromDays(365),
        });
}
