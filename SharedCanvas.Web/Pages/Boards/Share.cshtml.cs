using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using SharedCanvas.Web.Apis;
using SharedCanvas.Web.Boards;
using SharedCanvas.Web.Model;

namespace SharedCanvas.Web.Pages.Boards;

/// <summary>The owner's sharing page: links by role, who has access, revoking either.</summary>
[Authorize]
public sealed class ShareModel(BoardService boards) : PageModel
{
    public sealed record LinkView(string Id, string Role, string Url);

    public string Id { get; private set; } = "";

    public string BoardName { get; private set; } = "";

    public string OwnerName { get; private set; } = "";

    public IReadOnlyList<LinkView> Links { get; private set; } = [];

    public IReadOnlyList<MemberSummary> Members { get; private set; } = [];

    /// <summary>The name of the person just removed, to say that links still let anyone holding one in.</summary>
    [TempData]
    public string? RemovedName { get; set; }

    public async Task<IActionResult> OnGetAsync(string id, CancellationToken cancellationToken)
    {
        if (await boards.FindOwnedAsync(id, User.UserId()!, cancellationToken) is not { } board)
        {
            return NotFound();
        }

        (Id, BoardName, OwnerName) = (board.Id, board.Name, User.Identity?.Name ?? "");
        Links = [.. (await boards.ListLinksAsync(board, cancellationToken))
            .Select(l => new LinkView(l.Id, l.Role, $"{Request.Scheme}://{Request.Host}{BoardsApi.SharePath(l.Id)}"))];
        Members = await boards.ListMembersAsync(board, cancellationToken);
        return Page();
    }

    public async Task<IActionResult> OnPostCreateLinkAsync(string id, string? role, CancellationToken cancellationToken)
    {
        if (await boards.FindOwnedAsync(id, User.UserId()!, cancellationToken) is not { } board || !BoardService.IsShareRole(role))
        {
            return NotFound();
        }

        await boards.CreateLinkAsync(board, role!, cancellationToken);
        return RedirectToPage(new { id });
    }

    public async Task<IActionResult> OnPostRevokeLinkAsync(string id, string linkId, CancellationToken cancellationToken)
    {
        if (await boards.FindOwnedAsync(id, User.UserId()!, cancellationToken) is not { } board)
        {
            return NotFound();
        }

        await boards.RevokeLinkAsync(board, linkId, cancellationToken);
        return RedirectToPage(new { id });
    }

    public async Task<IActionResult> OnPostRemoveMemberAsync(string id, string userId, CancellationToken cancellationToken)
    {
        if (await boards.FindOwnedAsync(id, User.UserId()!, cancellationToken) is not { } board)
        {
            return NotFound();
        }

        var member = (await boards.ListMembersAsync(board, cancellationToken)).FirstOrDefault(m => m.UserId == userId);
        if (member is not null && await boards.RemoveMemberAsync(board, userId, cancellationToken))
        {
            RemovedName = member.UserName;
        }

        return RedirectToPage(new { id });
    }

    public async Task<IActionResult> OnPostChangeRoleAsync(string id, string userId, string? role, CancellationToken cancellationToken)
    {
        if (await boards.FindOwnedAsync(id, User.UserId()!, cancellationToken) is not { } board || !BoardService.IsShareRole(role))
        {
            return NotFound();
        }

        return await boards.ChangeRoleAsync(board, userId, role!, cancellationToken) is true ? RedirectToPage(new { id }) : NotFound();
    }

    /// <summary>Revokes every link of the board at once (offered after removing someone, whose link may still work).</summary>
    public async Task<IActionResult> OnPostRevokeAllLinksAsync(string id, CancellationToken cancellationToken)
    {
        if (await boards.FindOwnedAsync(id, User.UserId()!, cancellationToken) is not { } board)
        {
            return NotFound();
        }

        foreach (var link in await boards.ListLinksAsync(board, cancellationToken))
        {
            await boards.RevokeLinkAsync(board, link.Id, cancellationToken);
        }

        return RedirectToPage(new { id });
    }
}
