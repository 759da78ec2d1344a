using Microsoft.AspNetCore.Identity;
using SharedCanvas.Web.Model;

namespace SharedCanvas.Web.Accounts;

/// <summary>
/// Refuses passwords that are easy to guess — common or leaked ones, keyboard walks, repeats, dates, words
/// with the usual substitutions, or the person's own name or the site's — by zxcvbn-ts's estimate
/// (<see cref="PasswordStrength"/>) with the user name and the site's name as context, and any password that
/// contains the user name: OWASP ASVS 5.0's
/// checks against breached and context-specific passwords, instead of composition rules. The reason is the
/// one the register page shows as the person types.
/// </summary>
public sealed class StrengthPasswordValidator(PasswordStrength strength) : IPasswordValidator<AppUser>
{
    public Task<IdentityResult> ValidateAsync(UserManager<AppUser> manager, AppUser user, string? password)
    {
        if (string.IsNullOrEmpty(password))
        {
            return Task.FromResult(IdentityResult.Success);
        }

        var estimate = strength.Estimate(password, [user.UserName, user.Email], [user.UserName, user.Email]);
        if (estimate.Acceptable)
        {
            return Task.FromResult(IdentityResult.Success);
        }

        var reason = string.Join(" ", new[] { estimate.Warning }.Concat(estimate.Suggestions).Where(s => !string.IsNullOrEmpty(s)));
        return Task.FromResult(IdentityResult.Failed(new IdentityError
        {
            Code = "PasswordTooGuessable",
            Description = $"This password is too easy to guess. {reason}".Trim(),
        }));
    }
}
