using Microsoft.AspNetCore.Mvc.RazorPages;

namespace SharedCanvas.Web.Pages;

/// <summary>
/// The site's own page for an error a browser meets: a page that does not exist (404), something not
/// allowed (403), too many requests (429), a failure (500). The APIs answer with problem details instead
/// (WebFrontEndExtensions); pages that know better say more (a board, a share link).
/// </summary>
/// <para>
/// It answers whatever the method: a status met by a form's POST (a refused antiforgery token, a board no
/// longer in the trash) is re-executed as that POST, and a page that refused it would leave the browser blank.
/// </para>
[Microsoft.AspNetCore.Mvc.IgnoreAntiforgeryToken]
public sealed class ErrorModel : PageModel
{
    public string Title { get; private set; } = "";

    public string Explanation { get; private set; } = "";

    public void OnPost(int? code) => OnGet(code);

    public void OnGet(int? code)
    {
        var status = code ?? StatusCodes.Status500InternalServerError;
        var reExecuted = HttpContext.Features.Get<Microsoft.AspNetCore.Diagnostics.IStatusCodeReExecuteFeature>();
        var original = reExecuted?.OriginalPath ?? "";
        (Title, Explanation) = status switch
        {
            StatusCodes.Status404NotFound when original.StartsWith("/boards/", StringComparison.OrdinalIgnoreCase) =>
                ("This board is not here", "It was deleted, or it is not shared with you, or your access to it was withdrawn. Ask its owner if you think you should have it."),
            StatusCodes.Status404NotFound when original.StartsWith("/share/", StringComparison.OrdinalIgnoreCase) =>
                ("This link does not work any more", "Its owner revoked it, or it was never a share link. Ask the board's owner for a new one."),
            StatusCodes.Status404NotFound => ("Page not found", "There is nothing at this address. It may have been deleted, or the link may be mistyped."),
            StatusCodes.Status403Forbidden => ("Not allowed", "Your account may not do this. If you think it should, ask the board's owner."),
            StatusCodes.Status429TooManyRequests => ("Too many requests", "Wait a minute and try again."),
            StatusCodes.Status400BadRequest => ("That did not work", "The request was not understood. Go back, reload the page and try again."),
            _ => ("Something went wrong", "The request could not be completed. Please try again in a moment."),
        };
        // Re-executed for a status code page, the original status stays; reached directly, it is this one.
        if (reExecuted is null && code is { } direct)
        {
            Response.StatusCode = direct;
        }
    }
}
