using Microsoft.EntityFrameworkCore;

namespace SharedCanvas.Realtime.Storage;

/// <summary>A board's snapshot: the elements (a JSON array) as of sequence number <see cref="Seq"/>.</summary>
public sealed record Snapshot(long Seq, byte[] Elements, int ElementCount)
{
    public static readonly Snapshot Empty = new(0, "[]"u8.ToArray(), 0);
}

/// <summary>
/// Reads and writes snapshots. Writes are conditional on the sequence number they replace, so two savers
/// that somehow work on the same board cannot overwrite a newer snapshot with an older one.
/// </summary>
public sealed class SnapshotStore(IDbContextFactory<RealtimeDbContext> databases, BoardHistory history, TimeProvider time)
{
    public async Task<Snapshot> LoadAsync(string boardId, CancellationToken cancellationToken = default)
    {
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        var row = await db.Snapshots.AsNoTracking()
            .Where(s => s.BoardId == boardId)
            .Select(s => new { s.Seq, s.Elements, s.ElementCount })
            .FirstOrDefaultAsync(cancellationToken);
        return row is null ? Snapshot.Empty : new Snapshot(row.Seq, row.Elements, row.ElementCount);
    }

    public async Task DeleteAsync(string boardId, CancellationToken cancellationToken = default)
    {
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        await db.Snapshots.Where(s => s.BoardId == boardId).ExecuteDeleteAsync(cancellationToken);
        await history.DeleteAsync(boardId, cancellationToken);
    }

    /// <summary>
    /// Stores a snapshot if the stored one is still at <paramref name="replacesSeq"/>, and with it, in the same
    /// transaction, what it adds to the board's history; false if another writer was first (nothing is stored).
    /// </summary>
    public async Task<bool> SaveAsync(
        string boardId, long replacesSeq, Snapshot snapshot, HistoryRecord historyRecord, CancellationToken cancellationToken = default)
    {
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        // The transaction runs under the provider's execution strategy (PostgreSQL retries broken connections),
        // whole: a retry starts it again with nothing tracked.
        return await db.Database.CreateExecutionStrategy().ExecuteAsync(async ct =>
        {
            db.ChangeTracker.Clear();
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            var now = time.GetUtcNow().UtcDateTime;
            if (replacesSeq == 0 && !await db.Snapshots.AnyAsync(s => s.BoardId == boardId, ct))
            {
                db.Snapshots.Add(new BoardSnapshot
                {
                    BoardId = boardId,
                    Seq = snapshot.Seq,
                    Elements = snapshot.Elements,
                    ElementCount = snapshot.ElementCount,
                    UpdatedAt = now,
                });
            }
            else if (await db.Snapshots
                .Where(s => s.BoardId == boardId && s.Seq == replacesSeq)
                .ExecuteUpdateAsync(s => s
                    .SetProperty(x => x.Seq, snapshot.Seq)
                    .SetProperty(x => x.Elements, snapshot.Elements)
                    .SetProperty(x => x.ElementCount, snapshot.ElementCount)
                    .SetProperty(x => x.UpdatedAt, now), ct) != 1)
            {
                return false;
            }

            history.Add(db, boardId, snapshot, historyRecord, now);
            try
            {
                await db.SaveChangesAsync(ct);
            }
            catch (DbUpdateException)
            {
                // Another saver inserted the board's first snapshot (or these history rows) first.
                return false;
            }

            await transaction.CommitAsync(ct);
            return true;
        }, cancellationToken);
    }
}
