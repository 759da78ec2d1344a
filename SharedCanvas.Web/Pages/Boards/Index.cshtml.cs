using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Options;
using SharedCanvas.Web.Apis;
using SharedCanvas.Web.Boards;
using SharedCanvas.Web.Model;

namespace SharedCanvas.Web.Pages.Boards;

[Authorize]
public sealed class IndexModel(BoardService boards, IOptions<TrashOptions> trash) : PageModel
{
    public int TrashDays => (int)Math.Round(trash.Value.Retention.TotalDays);

    public IReadOnlyList<BoardSummary> Owned { get; private set; } = [];

    public IReadOnlyList<BoardSummary> Shared { get; private set; } = [];

    public IReadOnlyList<TrashedBoard> Trash { get; private set; } = [];

    /// <summary>The board just moved to the trash, to offer an undo at the top of the page.</summary>
    [TempData]
    public string? TrashedId { get; set; }

    [BindProperty]
    public string? Name { get; set; }

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        Owned = await boards.ListOwnedAsync(User.UserId()!, cancellationToken);
        Shared = await boards.ListSharedWithAsync(User.UserId()!, cancellationToken);
        Trash = await boards.ListTrashAsync(User.UserId()!, cancellationToken);
    }

    public async Task<IActionResult> OnPostCreateAsync(CancellationToken cancellationToken)
    {
        if (BoardService.NormalizeName(Name) is not { } name)
        {
            ModelState.AddModelError(nameof(Name), $"A board needs a name of 1 to {Board.MaxNameLength} characters.");
            await OnGetAsync(cancellationToken);
            return Page();
        }

        var board = await boards.CreateAsync(User.UserId()!, name, cancellationToken);
        return Redirect($"/boards/{board.Id}");
    }

    public async Task<IActionResult> OnPostRenameAsync(string id, string? newName, CancellationToken cancellationToken)
    {
        if (await boards.FindOwnedAsync(id, User.UserId()!, cancellationToken) is not { } board)
        {
            return NotFound();
        }

        if (BoardService.NormalizeName(newName) is not { } name)
        {
            ModelState.AddModelError(string.Empty, $"A board needs a name of 1 to {Board.MaxNameLength} characters.");
            await OnGetAsync(cancellationToken);
            return Page();
        }

        await boards.RenameAsync(board, name, cancellationToken);
        return RedirectToPage();
    }

    public async Task<IActionResult> OnPostDeleteAsync(string id, CancellationToken cancellationToken)
    {
        if (await boards.FindOwnedAsync(id, User.UserId()!, cancellationToken) is not { } board)
        {
            return NotFound();
        }

        await boards.MoveToTrashAsync(board, cancellationToken);
        TrashedId = board.Id;
        return RedirectToPage();
    }

    public async Task<IActionResult> OnPostRestoreAsync(string id, CancellationToken cancellationToken)
    {
        if (await boards.FindTrashedAsync(id, User.UserId()!, cancellationToken) is not { } board)
        {
            return NotFound();
        }

        await boards.RestoreAsync(board, cancellationToken);
        return RedirectToPage();
    }

    public async Task<IActionResult> OnPostDeleteForGoodAsync(string id, CancellationToken cancellationToken)
    {
        if (await boards.FindTrashedAsync(id, User.UserId()!, cancellationToken) is not { } board)
        {
            return NotFound();
        }

        await boards.DeleteForGoodAsync(board, cancellationToken);
        return RedirectToPage();
    }
}
