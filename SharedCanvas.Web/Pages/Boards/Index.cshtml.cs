using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using SharedCanvas.Web.Apis;
using SharedCanvas.Web.Boards;
using SharedCanvas.Web.Model;

namespace SharedCanvas.Web.Pages.Boards;

[Authorize]
public sealed class IndexModel(BoardService boards) : PageModel
{
    public IReadOnlyList<BoardSummary> Boards { get; private set; } = [];

    [BindProperty]
    public string? Name { get; set; }

    public async Task OnGetAsync(CancellationToken cancellationToken) =>
        Boards = await boards.ListOwnedAsync(User.UserId()!, cancellationToken);

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
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
}
