using Microsoft.EntityFrameworkCore;
using SharedCanvas.Web.Data;
using SharedCanvas.Web.Model;

namespace SharedCanvas.Web.Boards;

/// <summary>A board as people see it in lists, with the viewer's role on it.</summary>
public sealed record BoardSummary(string Id, string Name, DateTime CreatedAt, string OwnerName, string Role);

/// <summary>Boards: creating them, listing them, and deciding what a person may do on one.</summary>
public sealed class BoardService(WebDbContext db, TimeProvider time)
{
    public static string? NormalizeName(string? name)
    {
        var trimmed = name?.Trim();
        return string.IsNullOrEmpty(trimmed) || trimmed.Length > Board.MaxNameLength ? null : trimmed;
    }

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

    /// <summary>
    /// The board and the user's role on it, or null when the board does not exist. Until sharing by role
    /// exists, anyone signed in who has a board's link may draw on it (role <c>editor</c>).
    /// </summary>
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

        return (board, board.OwnerId == userId ? BoardRole.Owner : BoardRole.Editor);
    }
}
