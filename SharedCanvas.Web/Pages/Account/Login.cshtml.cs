using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using SharedCanvas.Web.Model;

namespace SharedCanvas.Web.Pages.Account;

[Microsoft.AspNetCore.RateLimiting.EnableRateLimiting(Extensions.SiteProtectionExtensions.SignInPolicy)]
public sealed class LoginModel(SignInManager<AppUser> signIn, WebTelemetry telemetry) : PageModel
{
    [BindProperty]
    public InputModel Input { get; set; } = new();

    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    public sealed class InputModel
    {
        [Required, Display(Name = "User name")]
        public string UserName { get; set; } = "";

        [Required, DataType(DataType.Password)]
        public string Password { get; set; } = "";
    }

    public async Task<IActionResult> OnPostAsync()
    {
        if (!ModelState.IsValid)
        {
            return Page();
        }

        var result = await signIn.PasswordSignInAsync(Input.UserName.Trim(), Input.Password, isPersistent: true, lockoutOnFailure: true);
        if (!result.Succeeded)
        {
            // One message for every failure: no hint whether the account exists or is locked.
            telemetry.SignInFailures.Add(1, new KeyValuePair<string, object?>("surface", "page"));
            ModelState.AddModelError(string.Empty, "The user name or password is incorrect.");
            return Page();
        }

        return LocalRedirect(Url.IsLocalUrl(ReturnUrl) ? ReturnUrl : "/boards");
    }
}
