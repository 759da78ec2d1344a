using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using SharedCanvas.Web.Boards;
using SharedCanvas.Web.Extensions;
using SharedCanvas.Web.Model;
using SharedCanvas.Web.Tokens;

namespace SharedCanvas.Web.Apis;

public sealed record CreateBoardRequest(string? Name);

public sealed record BoardResponse(string Id, string Name, DateTime CreatedAt, string Role, string Url);

public sealed record RealtimeTokenResponse(string AccessToken, DateTimeOffset ExpiresAt, string Url);

/// <summary>Boards and realtime tokens, for the board page (cookie) and for cookie-less clients (bearer).</summary>
internal static class BoardsApi
{
    public static IEndpointRouteBuilder MapBoardsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/boards")
            .WithTags("Boards")
            .RequireAuthorization();

        group.MapGet("/", ListAsync);
        group.MapPost("/", CreateAsync).AddEndpointFilter<CookieAntiforgeryFilter>();
        group.MapPost("/{id}/realtime-token", IssueRealtimeTokenAsync).AddEndpointFilter<CookieAntiforgeryFilter>();
        return app;
    }

    public static async Task<Ok<BoardResponse[]>> ListAsync(ClaimsPrincipal principal, BoardService boards, CancellationToken cancellationToken)
    {
        var list = await boards.ListOwnedAsync(principal.UserId()!, cancellationToken);
        return TypedResults.Ok(list.Select(b => new BoardResponse(b.Id, b.Name, b.CreatedAt, b.Role, BoardPath(b.Id))).ToArray());
    }

    public static async Task<Results<Created<BoardResponse>, ValidationProblem>> CreateAsync(
        CreateBoardRequest request, ClaimsPrincipal principal, BoardService boards, CancellationToken cancellationToken)
    {
        if (BoardService.NormalizeName(request.Name) is not { } name)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["name"] = [$"A board needs a name of 1 to {Board.MaxNameLength} characters."],
            });
        }

        var board = await boards.CreateAsync(principal.UserId()!, name, cancellationToken);
        var path = BoardPath(board.Id);
        return TypedResults.Created(path, new BoardResponse(board.Id, board.Name, board.CreatedAt, BoardRole.Owner, path));
    }

    /// <summary>A short-lived token for one board on the realtime service, and the WebSocket URL to open.</summary>
    public static async Task<Results<Ok<RealtimeTokenResponse>, NotFound, UnauthorizedHttpResult>> IssueRealtimeTokenAsync(
        string id, ClaimsPrincipal principal, BoardService boards, UserManager<AppUser> users, TokenIssuer issuer,
        IOptions<RealtimeLinkOptions> realtime, CancellationToken cancellationToken)
    {
        var user = await users.FindByIdAsync(principal.UserId()!);
        if (user is null)
        {
            return TypedResults.Unauthorized();
        }

        if (await boards.FindForUserAsync(id, user.Id, cancellationToken) is not ({ } board, { } role))
        {
            return TypedResults.NotFound();
        }

        var token = issuer.IssueRealtimeToken(user, board.Id, role);
        return TypedResults.Ok(new RealtimeTokenResponse(token.AccessToken, token.ExpiresAt, realtime.Value.BoardSocketUrl(board.Id)));
    }

    private static string BoardPath(string id) => $"/boards/{id}";
}
