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

public sealed record RenameBoardRequest(string? Name);

public sealed record BoardResponse(string Id, string Name, DateTime CreatedAt, string Owner, string Role, string Url);

/// <summary>A board in the caller's trash, and when it is deleted for good.</summary>
public sealed record TrashedBoardResponse(string Id, string Name, DateTime DeletedAt, DateTime PurgeAt);

public sealed record RealtimeTokenResponse(string AccessToken, DateTimeOffset ExpiresAt, string Url);

public sealed record CreateLinkRequest(string? Role);

public sealed record LinkResponse(string Id, string Role, string Url, DateTime CreatedAt);

public sealed record MemberResponse(string UserId, string UserName, string Role, DateTime AddedAt);

public sealed record ChangeRoleRequest(string? Role);

public sealed record AcceptedLinkResponse(string BoardId, string Role, string Url);

/// <summary>
/// Boards, sharing and realtime tokens, for the pages (cookie + antiforgery) and for cookie-less clients
/// (bearer). A board someone has no access to answers 404, as if it did not exist; what only the owner
/// may do answers 403 to the people it was shared with.
/// </summary>
internal static class BoardsApi
{
    public static IEndpointRouteBuilder MapBoardsApi(this IEndpointRouteBuilder app)
    {
        var boards = app.MapGroup("/api/boards")
            .WithTags("Boards")
            .RequireAuthorization()
            .AddEndpointFilter<CookieAntiforgeryFilter>();

        boards.MapGet("/", ListAsync);
        boards.MapPost("/", CreateAsync);
        boards.MapPatch("/{id}", RenameAsync);
        boards.MapDelete("/{id}", DeleteAsync);
        boards.MapPost("/{id}/realtime-token", IssueRealtimeTokenAsync).RequireRateLimiting(SiteProtectionExtensions.RealtimeTokenPolicy);
        boards.MapGet("/{id}/links", ListLinksAsync);
        boards.MapPost("/{id}/links", CreateLinkAsync);
        boards.MapDelete("/{id}/links/{linkId}", RevokeLinkAsync);
        boards.MapGet("/{id}/members", ListMembersAsync);
        boards.MapPatch("/{id}/members/{userId}", ChangeRoleAsync);
        boards.MapDelete("/{id}/members/{userId}", RemoveMemberAsync);

        var trash = app.MapGroup("/api/trash")
            .WithTags("Trash")
            .RequireAuthorization()
            .AddEndpointFilter<CookieAntiforgeryFilter>();
        trash.MapGet("/", ListTrashAsync);
        trash.MapPost("/{id}/restore", RestoreAsync);
        trash.MapDelete("/{id}", DeleteForGoodAsync);

        app.MapPost("/api/share/{linkId}", AcceptLinkAsync)
            .WithTags("Boards")
            .RequireAuthorization()
            .AddEndpointFilter<CookieAntiforgeryFilter>();
        return app;
    }

    public static async Task<Ok<BoardResponse[]>> ListAsync(ClaimsPrincipal principal, BoardService boards, CancellationToken cancellationToken)
    {
        var userId = principal.UserId()!;
        var owned = await boards.ListOwnedAsync(userId, cancellationToken);
        var shared = await boards.ListSharedWithAsync(userId, cancellationToken);
        return TypedResults.Ok(owned.Concat(shared).Select(ToResponse).ToArray());
    }

    public static async Task<Results<Created<BoardResponse>, ValidationProblem>> CreateAsync(
        CreateBoardRequest request, ClaimsPrincipal principal, BoardService boards, CancellationToken cancellationToken)
    {
        if (BoardService.NormalizeName(request.Name) is not { } name)
        {
            return NameProblem();
        }

        var board = await boards.CreateAsync(principal.UserId()!, name, cancellationToken);
        var response = new BoardResponse(board.Id, board.Name, board.CreatedAt, principal.Identity?.Name ?? "", BoardRole.Owner, BoardPath(board.Id));
        return TypedResults.Created(response.Url, response);
    }

    public static async Task<Results<Ok<BoardResponse>, ValidationProblem, NotFound, ForbidHttpResult>> RenameAsync(
        string id, RenameBoardRequest request, ClaimsPrincipal principal, BoardService boards, CancellationToken cancellationToken)
    {
        var (board, exists) = await OwnedAsync(id, principal, boards, cancellationToken);
        if (board is null)
        {
            return exists ? TypedResults.Forbid() : TypedResults.NotFound();
        }

        if (BoardService.NormalizeName(request.Name) is not { } name)
        {
            return NameProblem();
        }

        await boards.RenameAsync(board, name, cancellationToken);
        return TypedResults.Ok(new BoardResponse(id, name, board.CreatedAt, principal.Identity?.Name ?? "", BoardRole.Owner, BoardPath(id)));
    }

    public static async Task<Results<NoContent, NotFound, ForbidHttpResult>> DeleteAsync(
        string id, ClaimsPrincipal principal, BoardService boards, CancellationToken cancellationToken)
    {
        var (board, exists) = await OwnedAsync(id, principal, boards, cancellationToken);
        if (board is null)
        {
            return exists ? TypedResults.Forbid() : TypedResults.NotFound();
        }

        await boards.MoveToTrashAsync(board, cancellationToken);
        return TypedResults.NoContent();
    }

    public static async Task<Ok<TrashedBoardResponse[]>> ListTrashAsync(ClaimsPrincipal principal, BoardService boards, CancellationToken cancellationToken) =>
        TypedResults.Ok((await boards.ListTrashAsync(principal.UserId()!, cancellationToken))
            .Select(b => new TrashedBoardResponse(b.Id, b.Name, b.DeletedAt, b.PurgeAt)).ToArray());

    /// <summary>Brings a board back from the caller's trash; 404 for anything else (another's, not in the trash, gone).</summary>
    public static async Task<Results<Ok<BoardResponse>, NotFound>> RestoreAsync(
        string id, ClaimsPrincipal principal, BoardService boards, CancellationToken cancellationToken)
    {
        if (await boards.FindTrashedAsync(id, principal.UserId()!, cancellationToken) is not { } board)
        {
            return TypedResults.NotFound();
        }

        await boards.RestoreAsync(board, cancellationToken);
        return TypedResults.Ok(new BoardResponse(board.Id, board.Name, board.CreatedAt, principal.Identity?.Name ?? "", BoardRole.Owner, BoardPath(board.Id)));
    }

    public static async Task<Results<NoContent, NotFound>> DeleteForGoodAsync(
        string id, ClaimsPrincipal principal, BoardService boards, CancellationToken cancellationToken)
    {
        if (await boards.FindTrashedAsync(id, principal.UserId()!, cancellationToken) is not { } board)
        {
            return TypedResults.NotFound();
        }

        await boards.DeleteForGoodAsync(board, cancellationToken);
        return TypedResults.NoContent();
    }

    /// <summary>
    /// A short-lived token for one board on the realtime service, with the user's role, and the WebSocket
    /// URL to open. A sign-in cookie must still carry the user's current security stamp (so after a password
    /// change or "sign out everywhere" no other browser gets a token; a bearer token is checked the same way
    /// when it is validated), and a disabled or deleted account gets none. The access revisions are read
    /// first, before the role (see <see cref="Contracts.AccessRevisions"/>): a token issued from a role that is
    /// being withdrawn then carries the revision the withdrawal outdates.
    /// </summary>
    public static async Task<Results<Ok<RealtimeTokenResponse>, NotFound, UnauthorizedHttpResult>> IssueRealtimeTokenAsync(
        string id, ClaimsPrincipal principal, BoardService boards, BoardEvents events, UserManager<AppUser> users, SignInManager<AppUser> signIn,
        TokenIssuer issuer, IOptions<RealtimeLinkOptions> realtime, CancellationToken cancellationToken)
    {
        if (!Board.IsValidId(id) || principal.UserId() is not { } userId)
        {
            return TypedResults.NotFound();
        }

        var revisions = await events.RevisionsAsync(id, userId);
        var user = principal.Identity?.AuthenticationType == "Bearer"
            ? await users.FindByIdAsync(userId)
            : await signIn.ValidateSecurityStampAsync(principal);
        if (user is null || await users.IsLockedOutAsync(user))
        {
            return TypedResults.Unauthorized();
        }

        if (revisions.BoardDeleted || await boards.FindForUserAsync(id, user.Id, cancellationToken) is not ({ } board, { } role))
        {
            return TypedResults.NotFound();
        }

        var token = issuer.IssueRealtimeToken(user, board.Id, role, revisions);
        return TypedResults.Ok(new RealtimeTokenResponse(token.AccessToken, token.ExpiresAt, realtime.Value.BoardSocketUrl(board.Id)));
    }

    public static async Task<Results<Ok<LinkResponse[]>, NotFound, ForbidHttpResult>> ListLinksAsync(
        string id, HttpContext http, BoardService boards, CancellationToken cancellationToken)
    {
        var (board, exists) = await OwnedAsync(id, http.User, boards, cancellationToken);
        if (board is null)
        {
            return exists ? TypedResults.Forbid() : TypedResults.NotFound();
        }

        var links = await boards.ListLinksAsync(board, cancellationToken);
        return TypedResults.Ok(links.Select(l => ToResponse(l, http.Request)).ToArray());
    }

    public static async Task<Results<Created<LinkResponse>, ValidationProblem, NotFound, ForbidHttpResult>> CreateLinkAsync(
        string id, CreateLinkRequest request, HttpContext http, BoardService boards, CancellationToken cancellationToken)
    {
        var (board, exists) = await OwnedAsync(id, http.User, boards, cancellationToken);
        if (board is null)
        {
            return exists ? TypedResults.Forbid() : TypedResults.NotFound();
        }

        if (!BoardService.IsShareRole(request.Role))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["role"] = ["A link grants viewer or editor."] });
        }

        var link = ToResponse(await boards.CreateLinkAsync(board, request.Role!, cancellationToken), http.Request);
        return TypedResults.Created(link.Url, link);
    }

    public static async Task<Results<NoContent, NotFound, ForbidHttpResult>> RevokeLinkAsync(
        string id, string linkId, ClaimsPrincipal principal, BoardService boards, CancellationToken cancellationToken)
    {
        var (board, exists) = await OwnedAsync(id, principal, boards, cancellationToken);
        if (board is null)
        {
            return exists ? TypedResults.Forbid() : TypedResults.NotFound();
        }

        return await boards.RevokeLinkAsync(board, linkId, cancellationToken) ? TypedResults.NoContent() : TypedResults.NotFound();
    }

    public static async Task<Results<Ok<MemberResponse[]>, NotFound, ForbidHttpResult>> ListMembersAsync(
        string id, ClaimsPrincipal principal, BoardService boards, CancellationToken cancellationToken)
    {
        var (board, exists) = await OwnedAsync(id, principal, boards, cancellationToken);
        if (board is null)
        {
            return exists ? TypedResults.Forbid() : TypedResults.NotFound();
        }

        var members = await boards.ListMembersAsync(board, cancellationToken);
        return TypedResults.Ok(members.Select(m => new MemberResponse(m.UserId, m.UserName, m.Role, m.AddedAt)).ToArray());
    }

    /// <summary>Makes a member a viewer or an editor; their open sockets reconnect with the new role.</summary>
    public static async Task<Results<Ok<MemberResponse>, ValidationProblem, NotFound, ForbidHttpResult>> ChangeRoleAsync(
        string id, string userId, ChangeRoleRequest request, ClaimsPrincipal principal, BoardService boards, CancellationToken cancellationToken)
    {
        var (board, exists) = await OwnedAsync(id, principal, boards, cancellationToken);
        if (board is null)
        {
            return exists ? TypedResults.Forbid() : TypedResults.NotFound();
        }

        switch (await boards.ChangeRoleAsync(board, userId, request.Role ?? "", cancellationToken))
        {
            case null:
                return TypedResults.NotFound();
            case false:
                return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["role"] = ["A member is a viewer or an editor."] });
        }

        var member = (await boards.ListMembersAsync(board, cancellationToken)).Single(m => m.UserId == userId);
        return TypedResults.Ok(new MemberResponse(member.UserId, member.UserName, member.Role, member.AddedAt));
    }

    public static async Task<Results<NoContent, NotFound, ForbidHttpResult>> RemoveMemberAsync(
        string id, string userId, ClaimsPrincipal principal, BoardService boards, CancellationToken cancellationToken)
    {
        var (board, exists) = await OwnedAsync(id, principal, boards, cancellationToken);
        if (board is null)
        {
            return exists ? TypedResults.Forbid() : TypedResults.NotFound();
        }

        return await boards.RemoveMemberAsync(board, userId, cancellationToken) ? TypedResults.NoContent() : TypedResults.NotFound();
    }

    public static async Task<Results<Ok<AcceptedLinkResponse>, NotFound>> AcceptLinkAsync(
        string linkId, ClaimsPrincipal principal, BoardService boards, CancellationToken cancellationToken)
    {
        var userId = principal.UserId()!;
        if (await boards.AcceptLinkAsync(linkId, userId, cancellationToken) is not { } boardId
            || await boards.FindForUserAsync(boardId, userId, cancellationToken) is not ({ } board, { } role))
        {
            return TypedResults.NotFound();
        }

        return TypedResults.Ok(new AcceptedLinkResponse(board.Id, role, BoardPath(board.Id)));
    }

    /// <summary>The board if the caller owns it; <c>Exists</c> says whether the caller may see it at all.</summary>
    private static async Task<(Board? Board, bool Exists)> OwnedAsync(string id, ClaimsPrincipal principal, BoardService boards, CancellationToken cancellationToken)
    {
        var userId = principal.UserId()!;
        if (await boards.FindForUserAsync(id, userId, cancellationToken) is not ({ } _, { } role))
        {
            return (null, false);
        }

        return (role == BoardRole.Owner ? await boards.FindOwnedAsync(id, userId, cancellationToken) : null, true);
    }

    private static ValidationProblem NameProblem() =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["name"] = [$"A board needs a name of 1 to {Board.MaxNameLength} characters."] });

    private static BoardResponse ToResponse(BoardSummary b) => new(b.Id, b.Name, b.CreatedAt, b.OwnerName, b.Role, BoardPath(b.Id));

    private static LinkResponse ToResponse(ShareLink link, HttpRequest request) =>
        new(link.Id, link.Role, $"{request.Scheme}://{request.Host}{SharePath(link.Id)}", link.CreatedAt);

    public static string BoardPath(string id) => $"/boards/{id}";

    public static string SharePath(string linkId) => $"/share/{linkId}";
}
