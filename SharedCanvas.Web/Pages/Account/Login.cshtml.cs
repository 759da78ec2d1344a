using System.ComponentModel.DataAnnotations;
using System.Globalization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using SharedCanvas.Web.Accounts;
using SharedCanvas.Web.Model;

namespace SharedCanvas.Web.Pages.Account;

[Microsoft.AspNetCore.RateLimiting.EnableRateLimiting(Extensions.SiteProtectionExtensions.SignInPolicy)]
public sealed class LoginModel(
    PasswordSignIn passwords, SignInManager<AppUser> signIn, UserManager<AppUser> users, TrustedDevices devices,
    SignInThrottle throttle, WebTelemetry telemetry, SharedCanvas.Web.Boards.BoardService boards) : PageModel
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

        var normalized = users.NormalizeName(Input.UserName.Trim());
        var (outcome, user) = await passwords.CheckAsync(Input.UserName, Input.Password, devices.Read(Request, normalized));
        switch (outcome)
        {
            case SignInOutcome.Succeeded:
                await signIn.SignInAsync(user!, isPersistent: true);
                devices.Trust(Response, normalized);
                return LocalRedirect(await SharedCanvas.Web.Boards.ShareLinkLanding.AfterSignInAsync(ReturnUrl, user!.Id, boards, Url.IsLocalUrl, HttpContext.RequestAborted));
            case SignInOutcome.Throttled:
                // The same for every name, real or not. Browsers that signed in to the account before are not affected.
                telemetry.SignInFailures.Add(1, new KeyValuePair<string, object?>("surface", "page"));
                Response.StatusCode = StatusCodes.Status429TooManyRequests;
                Response.Headers.RetryAfter = ((int)throttle.Window.TotalSeconds).ToString(CultureInfo.InvariantCulture);
                ModelState.AddModelError(string.Empty,
                    $"Too many failed attempts for this account. Try again in {throttle.Window.TotalMinutes:0} minutes, or sign in from a browser you used before.");
                return Page();
            default:
                // One message for every failure: no hint whether the account exists.
                telemetry.SignInFailures.Add(1, new KeyValuePair<string, object?>("surface", "page"));
                ModelState.AddModelError(string.Empty, "The user name or password is incorrect.");
                return Page();
        }
    }
}
