using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using SharedCanvas.Web.Apis;
using SharedCanvas.Web.Boards;
using SharedCanvas.Web.Model;

namespace SharedCanvas.Web.Pages.Account;

/// <summary>Password change, signing out everywhere, deleting the account — each reaches open sockets at once.</summary>
[Authorize]
public sealed class IndexModel(UserManager<AppUser> users, SignInManager<AppUser> signIn, BoardService boards, BoardEvents events) : PageModel
{
    public sealed class PasswordInput
    {
        [Required, DataType(DataType.Password)]
        public string Current { get; set; } = "";

        [Required, DataType(DataType.Password), StringLength(128, MinimumLength = 8)]
        public string New { get; set; } = "";

        [Required, DataType(DataType.Password), Compare(nameof(New), ErrorMessage = "The new passwords do not match.")]
        public string Repeat { get; set; } = "";
    }

    [BindProperty]
    public PasswordInput Password { get; set; } = new();

    [BindProperty, DataType(DataType.Password)]
    public string? DeletePassword { get; set; }

    [TempData]
    public string? Message { get; set; }

    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostChangePasswordAsync()
    {
        ModelState.Remove(nameof(DeletePassword));
        if (!ModelState.IsValid || await users.GetUserAsync(User) is not { } user)
        {
            return Page();
        }

        var result = await users.ChangePasswordAsync(user, Password.Current, Password.New);
        if (!result.Succeeded)
        {
            foreach (var error in result.Errors)
            {
                ModelState.AddModelError(string.Empty, error.Code == "PasswordMismatch" ? "The current password is incorrect." : error.Description);
            }

            return Page();
        }

        // The security stamp changed: every other session and refresh token dies; this browser stays signed in.
        await signIn.RefreshSignInAsync(user);
        await events.UserSignedOutAsync(user.Id);
        Message = "Your password was changed. Other devices were signed out.";
        return RedirectToPage();
    }

    public async Task<IActionResult> OnPostSignOutEverywhereAsync()
    {
        if (await users.GetUserAsync(User) is { } user)
        {
            await users.UpdateSecurityStampAsync(user);
            await events.UserSignedOutAsync(user.Id);
        }

        await signIn.SignOutAsync();
        return LocalRedirect("/");
    }

    public async Task<IActionResult> OnPostDeleteAsync(CancellationToken cancellationToken)
    {
        if (await users.GetUserAsync(User) is not { } user)
        {
            return LocalRedirect("/");
        }

        if (string.IsNullOrEmpty(DeletePassword) || !await users.CheckPasswordAsync(user, DeletePassword))
        {
            ModelState.AddModelError(string.Empty, "The password is incorrect.");
            return Page();
        }

        foreach (var board in await boards.ListAllOwnedAsync(user.Id, cancellationToken))
        {
            await boards.DeleteForGoodAsync(board, cancellationToken);
        }

        await users.DeleteAsync(user);
        await events.UserDeletedAsync(user.Id);
        await signIn.SignOutAsync();
        return LocalRedirect("/");
    }
}
