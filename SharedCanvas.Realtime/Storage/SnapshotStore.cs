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
public sealed class SnapshotStore(IDbContextFactory<RealtimeDbContext> databases, TimeProvider time)
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
    }

    /// <summary>Stores a snapshot if the stored one is still at <paramref name="replacesSeq"/>; false if another writer was first.</summary>
    public async Task<bool> SaveAsync(string boardId, long replacesSeq, Snapshot snapshot, CancellationToken cancellationToken = default)
    {
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        var now = time.GetUtcNow().UtcDateTime;
        if (replacesSeq == 0 && !await db.Snapshots.AnyAsync(s => s.BoardId == boardId, cancellationToken))
        {
            db.Snapshots.Add(new BoardSnapshot
            {
                BoardId = boardId,
                Seq = snapshot.Seq,
                Elements = snapshot.Elements,
                ElementCount = snapshot.ElementCount,
                UpdatedAt = now,
            });
            try
            {
                await db.SaveChangesAsync(cancellationToken);
                return true;
            }
            catch (DbUpdateException)
            {
                return false;
            }
        }

        var updated = await db.Snapshots
            .Where(s => s.BoardId == boardId && s.Seq == replacesSeq)
            .ExecuteUpdateAsync(s => s
                .SetProperty(x => x.Seq, snapshot.Seq)
                .SetProperty(x => x.Elements, snapshot.Elements)
                .SetProperty(x => x.ElementCount, snapshot.ElementCount)
                .SetProperty(x => x.UpdatedAt, now), cancellationToken);
        return updated == 1;
    }
}
