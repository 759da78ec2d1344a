using Microsoft.EntityFrameworkCore;
using SharedCanvas.Web.Data;
using Microsoft.Extensions.Options;
using SharedCanvas.Web.Model;

namespace SharedCanvas.Web.Boards;

/// <summary>A board as people see it in lists, with the viewer's role on it.</summary>
public sealed record BoardSummary(string Id, string Name, DateTime CreatedAt, string OwnerName, string Role);

/// <summary>A board in its owner's trash: when it went there, and when it is deleted for good.</summary>
public sealed record TrashedBoard(string Id, string Name, DateTime DeletedAt, DateTime PurgeAt);

/// <summary>Someone with access to a board.</summary>
public sealed record MemberSummary(string UserId, string UserName, string Role, DateTime AddedAt);

/// <summary>
/// Boards and who may do what on them. A board is private: its owner, and the people it was shared with
/// (as <c>viewer</c> or <c>editor</c>) through a link, are the only ones who can open it. To anyone else
/// it does not exist (404), in the pages, the API and — through tokens — the realtime service.
/// </summary>
public sealed class BoardService(WebDbContext db, BoardEvents events, TimeProvider time, IOptions<TrashOptions> trash)
{
    public static string? NormalizeName(string? name)
    {
        var trimmed = name?.Trim();
        return string.IsNullOrEmpty(trimmed) || trimmed.Length > Board.MaxNameLength ? null : trimmed;
    }

    public static bool IsShareRole(string? role) => role is BoardRole.Viewer or BoardRole.Editor;

    public async Task<Board> CreateAsync(string ownerId, string name, CancellationToken cancellationToken)
    {
        var board = new Board
        {
            Id = Board.NewId(),
            Name = name,
            OwnerId = ownerId,
            CreatedAt = time.GetUtcNow().UtcDateTime,
        };
        db.Boards.Add(board);
        await db.SaveChangesAsync(cancellationToken);
        return board;
    }

    public Task<List<BoardSummary>> ListOwnedAsync(string userId, CancellationToken cancellationToken) =>
        db.Boards.AsNoTracking()
            .Where(b => b.OwnerId == userId)
            .OrderByDescending(b => b.CreatedAt)
            .Select(b => new BoardSummary(b.Id, b.Name, b.CreatedAt, b.Owner!.UserName!, BoardRole.Owner))
            .ToListAsync(cancellationToken);

    public Task<List<BoardSummary>> ListSharedWithAsync(string userId, CancellationToken cancellationToken) =>
        (from member in db.BoardMembers.AsNoTracking()
         join board in db.Boards on member.BoardId equals board.Id
         where member.UserId == userId
         orderby member.AddedAt descending
         select new BoardSummary(board.Id, board.Name, board.CreatedAt, board.Owner!.UserName!, member.Role))
        .ToListAsync(cancellationToken);

    /// <summary>The board and the user's role on it, or null when the board does not exist for this user.</summary>
    public async Task<(Board Board, string Role)?> FindForUserAsync(string? boardId, string userId, CancellationToken cancellationToken)
    {
        if (!Board.IsValidId(boardId))
        {
            return null;
        }

        var board = await db.Boards.AsNoTracking().FirstOrDefaultAsync(b => b.Id == boardId, cancellationToken);
        if (board is null)
        {
            return null;
        }

        if (board.OwnerId == userId)
        {
            return (board, BoardRole.Owner);
        }

        var role = await db.BoardMembers.AsNoTracking()
            .Where(m => m.BoardId == boardId && m.UserId == userId)
            .Select(m => m.Role)
            .FirstOrDefaultAsync(cancellationToken);
        return role is null ? null : (board, role);
    }

    /// <summary>The board if <paramref name="userId"/> owns it.</summary>
    public async Task<Board?> FindOwnedAsync(string? boardId, string userId, CancellationToken cancellationToken) =>
        Board.IsValidId(boardId)
            ? await db.Boards.FirstOrDefaultAsync(b => b.Id == boardId && b.OwnerId == userId, cancellationToken)
            : null;

    public async Task RenameAsync(Board board, string name, CancellationToken cancellationToken)
    {
        board.Name = name;
        await db.SaveChangesAsync(cancellationToken);
    }

    /// <summary>
    /// Moves the board to the trash: it is gone for everyone at once (its sockets close with 4404, its tokens,
    /// links and page stop working) but its drawing, members and links are kept for
    /// <see cref="TrashOptions.Retention"/>, within which its owner can restore it.
    /// </summary>
    public async Task MoveToTrashAsync(Board board, CancellationToken cancellationToken)
    {
        board.DeletedAt = time.GetUtcNow().UtcDateTime;
        await db.SaveChangesAsync(cancellationToken);
        await events.BoardTrashedAsync(board.Id);
    }

    /// <summary>The owner's trash, the most recently deleted first.</summary>
    public Task<List<TrashedBoard>> ListTrashAsync(string userId, CancellationToken cancellationToken) =>
        Trashed().AsNoTracking()
            .Where(b => b.OwnerId == userId)
            .OrderByDescending(b => b.DeletedAt)
            .Select(b => new TrashedBoard(b.Id, b.Name, b.DeletedAt!.Value, b.DeletedAt!.Value + trash.Value.Retention))
            .ToListAsync(cancellationToken);

    /// <summary>A board in the trash of <paramref name="userId"/>.</summary>
    public async Task<Board?> FindTrashedAsync(string? boardId, string userId, CancellationToken cancellationToken) =>
        Board.IsValidId(boardId)
            ? await Trashed().FirstOrDefaultAsync(b => b.Id == boardId && b.OwnerId == userId, cancellationToken)
            : null;

    /// <summary>Brings a board back from the trash, as it was: its drawing, members and links work again.</summary>
    public async Task RestoreAsync(Board board, CancellationToken cancellationToken)
    {
        board.DeletedAt = null;
        await db.SaveChangesAsync(cancellationToken);
        await events.BoardRestoredAsync(board.Id);
    }

    /// <summary>
    /// Deletes the board for good, in the trash or not, with its members and links, and tells the realtime
    /// service to close it and delete its drawing.
    /// </summary>
    public async Task DeleteForGoodAsync(Board board, CancellationToken cancellationToken)
    {
        db.Boards.Remove(board);
        await db.SaveChangesAsync(cancellationToken);
        await events.BoardDeletedAsync(board.Id);
    }

    /// <summary>Every board the user owns, in the trash or not (to delete them all with the account).</summary>
    public Task<List<Board>> ListAllOwnedAsync(string userId, CancellationToken cancellationToken) =>
        db.Boards.IgnoreQueryFilters().Where(b => b.OwnerId == userId).ToListAsync(cancellationToken);

    /// <summary>Boards whose time in the trash is over (up to 100 at a time), for <see cref="TrashPurger"/> to delete.</summary>
    public Task<List<Board>> ExpiredTrashAsync(CancellationToken cancellationToken)
    {
        var before = time.GetUtcNow().UtcDateTime - trash.Value.Retention;
        return Trashed().Where(b => b.DeletedAt < before).OrderBy(b => b.DeletedAt).Take(100).ToListAsync(cancellationToken);
    }

    private IQueryable<Board> Trashed() => db.Boards.IgnoreQueryFilters().Where(b => b.DeletedAt != null);

    public async Task<ShareLink> CreateLinkAsync(Board board, string role, CancellationToken cancellationToken)
    {
        var link = new ShareLink { Id = ShareLink.NewId(), BoardId = board.Id, Role = role, CreatedAt = time.GetUtcNow().UtcDateTime };
        db.ShareLinks.Add(link);
        await db.SaveChangesAsync(cancellationToken);
        return link;
    }

    public Task<List<ShareLink>> ListLinksAsync(Board board, CancellationToken cancellationToken) =>
        db.ShareLinks.AsNoTracking()
            .Where(l => l.BoardId == board.Id && l.RevokedAt == null)
            .OrderBy(l => l.CreatedAt)
            .ToListAsync(cancellationToken);

    /// <summary>Stops a link from working; people who already joined through it keep their access.</summary>
    public async Task<bool> RevokeLinkAsync(Board board, string linkId, CancellationToken cancellationToken)
    {
        var revoked = await db.ShareLinks
            .Where(l => l.Id == linkId && l.BoardId == board.Id && l.RevokedAt == null)
            .ExecuteUpdateAsync(l => l.SetProperty(x => x.RevokedAt, time.GetUtcNow().UtcDateTime), cancellationToken);
        return revoked == 1;
    }

    /// <summary>
    /// Joins the signed-in user to the link's board with the link's role (a role they already have that is
    /// higher is kept). Returns the board id, or null for an unknown or revoked link.
    /// </summary>
    public async Task<string?> AcceptLinkAsync(string? linkId, string userId, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(linkId) || linkId.Length > 32)
        {
            return null;
        }

        var link = await db.ShareLinks.AsNoTracking().FirstOrDefaultAsync(l => l.Id == linkId && l.RevokedAt == null, cancellationToken);
        if (link is null)
        {
            return null;
        }

        var board = await db.Boards.AsNoTracking().FirstOrDefaultAsync(b => b.Id == link.BoardId, cancellationToken);
        if (board is null)
        {
            return null; // its board is in the trash
        }

        if (board.OwnerId == userId)
        {
            return board.Id;
        }

        var member = await db.BoardMembers.FirstOrDefaultAsync(m => m.BoardId == board.Id && m.UserId == userId, cancellationToken);
        if (member is null)
        {
            db.BoardMembers.Add(new BoardMember { BoardId = board.Id, UserId = userId, Role = link.Role, AddedAt = time.GetUtcNow().UtcDateTime });
        }
        else if (member.Role == BoardRole.Viewer && link.Role == BoardRole.Editor)
        {
            member.Role = BoardRole.Editor;
        }

        await db.SaveChangesAsync(cancellationToken);
        return board.Id;
    }

    public Task<List<MemberSummary>> ListMembersAsync(Board board, CancellationToken cancellationToken) =>
        db.BoardMembers.AsNoTracking()
            .Where(m => m.BoardId == board.Id)
            .OrderBy(m => m.AddedAt)
            .Select(m => new MemberSummary(m.UserId, m.User!.UserName!, m.Role, m.AddedAt))
            .ToListAsync(cancellationToken);

    /// <summary>
    /// Changes someone's role (viewer ↔ editor); their open sockets on the board come back with it, and
    /// realtime tokens issued before stop working. Null when they are not a member; false for a role a member cannot have.
    /// </summary>
    public async Task<bool?> ChangeRoleAsync(Board board, string userId, string role, CancellationToken cancellationToken)
    {
        if (!IsShareRole(role))
        {
            return false;
        }

        var changed = await db.BoardMembers.Where(m => m.BoardId == board.Id && m.UserId == userId)
            .ExecuteUpdateAsync(m => m.SetProperty(x => x.Role, role), cancellationToken);
        if (changed == 0)
        {
            return null;
        }

        await events.AccessChangedAsync(board.Id, userId);
        return true;
    }

    /// <summary>Withdraws someone's access; their open sockets on the board are closed.</summary>
    public async Task<bool> RemoveMemberAsync(Board board, string userId, CancellationToken cancellationToken)
    {
        var removed = await db.BoardMembers.Where(m => m.BoardId == board.Id && m.UserId == userId).ExecuteDeleteAsync(cancellationToken);
        if (removed == 1)
        {
            await events.AccessRevokedAsync(board.Id, userId);
        }

        return removed == 1;
    }
}
