using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using SharedCanvas.Web.Model;

namespace SharedCanvas.Web.Pages.Account;

[Microsoft.AspNetCore.RateLimiting.EnableRateLimiting(Extensions.SiteProtectionExtensions.RegistrationPolicy)]
public sealed class RegisterModel(UserManager<AppUser> users, SignInManager<AppUser> signIn, Accounts.TrustedDevices devices, WebTelemetry telemetry, SharedCanvas.Web.Boards.BoardService boards) : PageModel
{
    [BindProperty]
    public InputModel Input { get; set; } = new();

    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    public sealed class InputModel
    {
        [Required, StringLength(64, MinimumLength = 2), Display(Name = "User name")]
        public string UserName { get; set; } = "";

        [Required, DataType(DataType.Password), StringLength(128)]
        public string Password { get; set; } = "";

        [Required, DataType(DataType.Password), Compare(nameof(Password), ErrorMessage = "The passwords do not match.")]
        [Display(Name = "Repeat password")]
        public string ConfirmPassword { get; set; } = "";
    }

    public async Task<IActionResult> OnPostAsync()
    {
        if (!ModelState.IsValid)
        {
            return Page();
        }

        var user = new AppUser { UserName = Input.UserName.Trim() };
        var result = await users.CreateAsync(user, Input.Password);
        if (!result.Succeeded)
        {
            foreach (var error in result.Errors)
            {
                ModelState.AddModelError(string.Empty, error.Description);
            }

            return Page();
        }

        telemetry.Registrations.Add(1);
        await signIn.SignInAsync(user, isPersistent: true);
        devices.Trust(Response, users.NormalizeName(user.UserName));
        return LocalRedirect(await SharedCanvas.Web.Boards.ShareLinkLanding.AfterSignInAsync(ReturnUrl, user.Id, boards, Url.IsLocalUrl, HttpContext.RequestAborted));
    }
}
