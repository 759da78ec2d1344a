using System.Collections.Frozen;
using System.Text.Json;
using Microsoft.AspNetCore.Identity;
using SharedCanvas.Web.Model;

namespace SharedCanvas.Web.Extensions;

/// <summary>
/// Refuses passwords that appear in lists of common and breached passwords (about 49,000 from
/// @zxcvbn-ts/language-common, shipped with the site) or that contain the user name — the checks OWASP
/// ASVS 5.0 asks for instead of composition rules.
/// </summary>
public sealed class CommonPasswordValidator : IPasswordValidator<AppUser>
{
    private static readonly Lazy<FrozenSet<string>> Common = new(Load);

    public static int Count => Common.Value.Count;

    public Task<IdentityResult> ValidateAsync(UserManager<AppUser> manager, AppUser user, string? password)
    {
        if (string.IsNullOrEmpty(password))
        {
            return Task.FromResult(IdentityResult.Success);
        }

        if (Common.Value.Contains(password.ToLowerInvariant()))
        {
            return Task.FromResult(IdentityResult.Failed(new IdentityError
            {
                Code = "CommonPassword",
                Description = "This password is among the most common or leaked ones. Choose another, a longer phrase is easiest.",
            }));
        }

        if (user.UserName is { Length: >= 3 } name && password.Contains(name, StringComparison.OrdinalIgnoreCase))
        {
            return Task.FromResult(IdentityResult.Failed(new IdentityError
            {
                Code = "PasswordContainsUserName",
                Description = "The password must not contain the user name.",
            }));
        }

        return Task.FromResult(IdentityResult.Success);
    }

    private static FrozenSet<string> Load()
    {
        using var stream = typeof(CommonPasswordValidator).Assembly.GetManifestResourceStream("common-passwords.json")
            ?? throw new InvalidOperationException("The embedded list of common passwords is missing (the build copies it from npm).");
        var passwords = JsonSerializer.Deserialize<string[]>(stream) ?? [];
        return passwords.Select(p => p.ToLowerInvariant()).ToFrozenSet(StringComparer.Ordinal);
    }
}
