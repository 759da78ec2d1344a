using System.Text.RegularExpressions;
using SharedCanvas.Web.Apis;

namespace SharedCanvas.Web.Boards;

/// <summary>
/// Where a person lands after signing in or creating an account. Someone who came through a share link
/// (the sign-in's return address is <c>/share/{linkId}</c>) joins the board in that same POST and lands on
/// it, without a second "Open the board" step; the join stays inside a request carrying an antiforgery token.
/// </summary>
public static partial class ShareLinkLanding
{
    public static async Task<string> AfterSignInAsync(string? returnUrl, string userId, BoardService boards, Func<string?, bool> isLocal, CancellationToken cancellationToken)
    {
        if (returnUrl is not null && SharePath().Match(returnUrl) is { Success: true } match
            && await boards.AcceptLinkAsync(match.Groups[1].Value, userId, cancellationToken) is { } boardId)
        {
            return BoardsApi.BoardPath(boardId);
        }

        // A dead link's own page says so; anything else local is where they were going.
        return isLocal(returnUrl) ? returnUrl! : "/boards";
    }

    [GeneratedRegex("^/share/([A-Za-z0-9_-]{1,32})$")]
    private static partial Regex SharePath();
}
