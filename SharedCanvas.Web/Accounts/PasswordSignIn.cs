using Microsoft.AspNetCore.Identity;
using SharedCanvas.Web.Model;

namespace SharedCanvas.Web.Accounts;

/// <summary>The outcome of checking a user name and password.</summary>
public enum SignInOutcome
{
    Succeeded,

    /// <summary>Wrong name, wrong password or a disabled account: one answer for all of them.</summary>
    Failed,

    /// <summary>The attempt's budget is spent (<see cref="SignInThrottle"/>); nothing was checked.</summary>
    Throttled,
}

/// <summary>
/// Checks a user name and password for both sign-ins (the form and <c>/api/auth/token</c>) the same way:
/// throttled per account and per trusted browser, never locking the account, and every failure costing one
/// password hash and saying the same, whether the account exists, the password is wrong or the account is
/// disabled (docs/security.md, "No enumeration").
/// </summary>
public sealed class PasswordSignIn(UserManager<AppUser> users, SignInManager<AppUser> signIn, SignInThrottle throttle)
{
    // A hash of a random password, made once with the site's own hasher: verifying against it costs what a real check costs.
    private static string? s_decoyHash;

    private string DecoyHash => s_decoyHash ??= users.PasswordHasher.HashPassword(new AppUser(), Guid.NewGuid().ToString("N"));

    public async Task<(SignInOutcome Outcome, AppUser? User)> CheckAsync(string? userName, string? password, string? trustedDevice = null)
    {
        var normalized = users.NormalizeName(userName?.Trim() ?? "");
        var budget = SignInThrottle.BudgetFor(normalized, trustedDevice);
        if (throttle.IsSpent(budget))
        {
            return (SignInOutcome.Throttled, null);
        }

        var user = string.IsNullOrEmpty(normalized) ? null : await users.FindByNameAsync(normalized);
        // Failed attempts never lock the account (lockoutOnFailure: false): the throttle slows guessing instead.
        // An account an administrator disabled (LockoutEnd) is refused like a wrong password.
        var result = user is null ? SignInResult.Failed : await signIn.CheckPasswordSignInAsync(user, password ?? "", lockoutOnFailure: false);
        if (result.Succeeded)
        {
            return (SignInOutcome.Succeeded, user);
        }

        if (user is null || result.IsLockedOut || result.IsNotAllowed)
        {
            // No password was checked on this path: check one, so that it takes as long as a wrong password.
            users.PasswordHasher.VerifyHashedPassword(new AppUser(), DecoyHash, password ?? "");
        }

        throttle.Fail(budget);
        return (SignInOutcome.Failed, null);
    }
}
