using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using SharedCanvas.Web.Apis;
using SharedCanvas.Web.Boards;
using SharedCanvas.Web.Data;

namespace SharedCanvas.Web.Pages.Share;

/// <summary>
/// A share link. Opening it shows whose board it is. Signed in, confirming joins it; signed out, it offers
/// to sign in or create an account, and either lands on the board at once (<see cref="ShareLinkLanding"/>).
/// Joining is always a POST with an antiforgery token, so no other site can make someone join a board.
/// </summary>
[AllowAnonymous]
public sealed class AcceptModel(BoardService boards, WebDbContext db) : PageModel
{
    public string BoardName { get; private set; } = "";

    public string OwnerName { get; private set; } = "";

    public string Role { get; private set; } = "";

    public async Task<IActionResult> OnGetAsync(string linkId, CancellationToken cancellationToken)
    {
        var found = await db.ShareLinks.AsNoTracking()
            .Where(l => l.Id == linkId && l.RevokedAt == null)
            .Join(db.Boards, l => l.BoardId, b => b.Id, (l, b) => new { l.Role, b.Id, b.Name, Owner = b.Owner!.UserName, b.OwnerId })
            .FirstOrDefaultAsync(cancellationToken);
        if (found is null)
        {
            return NotFound();
        }

        if (found.OwnerId == User.UserId())
        {
            return Redirect(BoardsApi.BoardPath(found.Id));
        }

        (BoardName, OwnerName, Role) = (found.Name, found.Owner ?? "", found.Role);
        return Page();
    }

    public bool SignedIn => User.UserId() is not null;

    /// <summary>Where sign-in and account creation return to: this link, which they then accept.</summary>
    public string ReturnQuery => Uri.EscapeDataString(Request.Path.Value ?? "/");

    public async Task<IActionResult> OnPostAsync(string linkId, CancellationToken cancellationToken) =>
        User.UserId() is not { } userId
            ? Challenge()
            : await boards.AcceptLinkAsync(linkId, userId, cancellationToken) is { } boardId
                ? Redirect(BoardsApi.BoardPath(boardId))
                : NotFound();
}
