using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using SharedCanvas.Realtime.Model;

namespace SharedCanvas.Realtime.Storage;

/// <summary>How long a board's past is kept, and how densely (section <c>History</c>; docs/storage.md "History").</summary>
public sealed class HistoryOptions
{
    public const string SectionName = "History";

    /// <summary>Every operation is kept this long; older history keeps one checkpoint a day.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(90);

    /// <summary>A checkpoint at least every this many operations, so that a version folds at most this many.</summary>
    [Range(1, 1_000_000)]
    public int CheckpointEvery { get; set; } = 1000;

    /// <summary>And one when the last is this old and operations came since.</summary>
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How often each saver applies the retention.</summary>
    public TimeSpan PruneInterval { get; set; } = TimeSpan.FromHours(1);
}

/// <summary>What <see cref="BoardHistory.TimelineAsync"/> finds; <see cref="FirstVersion"/> is null when no version can be shown.</summary>
public sealed record HistoryTimeline(IReadOnlyList<HistoryStamp> Operations, IReadOnlyList<HistoryStamp> OlderCheckpoints, long? FirstVersion, long ArchivedHead);

/// <summary>What a save adds to a board's history: the operations it folded, and whether its snapshot is also a checkpoint.</summary>
public sealed record HistoryRecord(IReadOnlyList<LogEntry> Operations, bool Checkpoint);

/// <summary>
/// A board's history in the realtime database: every operation the saver folded (<see cref="BoardOperation"/>)
/// and checkpoints (<see cref="BoardCheckpoint"/>). Written with the snapshot, in its transaction
/// (<see cref="SnapshotStore.SaveAsync"/>); thinned by the retention here.
/// </summary>
public sealed partial class BoardHistory(
    IDbContextFactory<RealtimeDbContext> databases, IOptions<HistoryOptions> options, TimeProvider time, ILogger<BoardHistory> logger)
{
    public HistoryOptions Options => options.Value;

    /// <summary>Whether a save at <paramref name="seq"/> should also be a checkpoint: none yet, or the last too far behind.</summary>
    public async Task<bool> IsCheckpointDueAsync(string boardId, long seq, CancellationToken cancellationToken = default)
    {
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        var last = await db.Checkpoints.AsNoTracking()
            .Where(c => c.BoardId == boardId)
            .OrderByDescending(c => c.Seq)
            .Select(c => new { c.Seq, c.At })
            .FirstOrDefaultAsync(cancellationToken);
        return last is null
            || seq - last.Seq >= options.Value.CheckpointEvery
            || (seq > last.Seq && time.GetUtcNow().UtcDateTime - last.At >= options.Value.CheckpointInterval);
    }

    /// <summary>The rows a save adds: its operations, and its snapshot as a checkpoint when due.</summary>
    internal void Add(RealtimeDbContext db, string boardId, Snapshot snapshot, HistoryRecord record, DateTime now)
    {
        foreach (var entry in record.Operations)
        {
            var (author, at) = Stamp(entry.Message);
            db.Operations.Add(new BoardOperation { BoardId = boardId, Seq = entry.Seq, Author = author, At = at, Message = entry.Message });
        }

        if (record.Checkpoint)
        {
            db.Checkpoints.Add(new BoardCheckpoint
            {
                BoardId = boardId,
                Seq = snapshot.Seq,
                Elements = snapshot.Elements,
                ElementCount = snapshot.ElementCount,
                At = now,
            });
        }
    }

    /// <summary>
    /// The board as it was at <paramref name="seq"/>: the nearest checkpoint at or before it (or an empty board,
    /// when the history begins at the first operation) and the operations after it. Null when the history no
    /// longer reaches that far back (or never did: a board older than its history).
    /// </summary>
    public async Task<BoardState?> VersionAsync(string boardId, long seq, CancellationToken cancellationToken = default)
    {
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        var checkpoint = await db.Checkpoints.AsNoTracking()
            .Where(c => c.BoardId == boardId && c.Seq <= seq)
            .OrderByDescending(c => c.Seq)
            .Select(c => new { c.Seq, c.Elements })
            .FirstOrDefaultAsync(cancellationToken);
        var state = checkpoint is null ? BoardState.Load(0, Snapshot.Empty.Elements) : BoardState.Load(checkpoint.Seq, checkpoint.Elements);
        var expected = state.Seq + 1;
        await foreach (var operation in db.Operations.AsNoTracking()
            .Where(o => o.BoardId == boardId && o.Seq > state.Seq && o.Seq <= seq)
            .OrderBy(o => o.Seq)
            .Select(o => new { o.Seq, o.Message })
            .AsAsyncEnumerable()
            .WithCancellation(cancellationToken))
        {
            if (operation.Seq != expected)
            {
                return null;
            }

            state.ApplyMessage(operation.Message);
            expected++;
        }

        return expected == seq + 1 ? state : null;
    }

    /// <summary>
    /// What the history holds of a board: the author and time of every kept operation, in order; the older
    /// checkpoints that only whole days are kept of (those before the first kept operation); the first
    /// sequence number whose version can be shown; and the last one archived.
    /// </summary>
    public async Task<HistoryTimeline> TimelineAsync(string boardId, CancellationToken cancellationToken = default)
    {
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        var operations = await db.Operations.AsNoTracking()
            .Where(o => o.BoardId == boardId)
            .OrderBy(o => o.Seq)
            .Select(o => new HistoryStamp(o.Seq, o.At, o.Author))
            .ToListAsync(cancellationToken);
        var checkpoints = await db.Checkpoints.AsNoTracking()
            .Where(c => c.BoardId == boardId)
            .OrderBy(c => c.Seq)
            .Select(c => new HistoryStamp(c.Seq, c.At, ""))
            .ToListAsync(cancellationToken);
        var firstKept = operations.Count > 0 ? operations[0].Seq : long.MaxValue;
        var older = checkpoints.Where(c => c.Seq < firstKept - 1).ToList();
        long? first = checkpoints.Count > 0 ? checkpoints[0].Seq : null;
        if (firstKept == 1 || (operations.Count == 0 && checkpoints.Count == 0))
        {
            first = 0;
        }

        var archived = Math.Max(operations.Count > 0 ? operations[^1].Seq : 0, checkpoints.Count > 0 ? checkpoints[^1].Seq : 0);
        return new HistoryTimeline(operations, older, first, archived);
    }

    /// <summary>The last sequence number the history holds (an operation's or a checkpoint's); 0 for none.</summary>
    public async Task<long> ArchivedHeadAsync(string boardId, CancellationToken cancellationToken = default)
    {
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        var operation = await db.Operations.Where(o => o.BoardId == boardId).MaxAsync(o => (long?)o.Seq, cancellationToken) ?? 0;
        var checkpoint = await db.Checkpoints.Where(c => c.BoardId == boardId).MaxAsync(c => (long?)c.Seq, cancellationToken) ?? 0;
        return Math.Max(operation, checkpoint);
    }

    /// <summary>
    /// Applies the retention. Of the checkpoints older than it, each board keeps the last of each day; the
    /// operations up to the newest of those are deleted (the ones after it are needed to show the versions
    /// still within the retention, and are at most <see cref="HistoryOptions.CheckpointInterval"/> of work).
    /// Returns how many rows went.
    /// </summary>
    public async Task<int> PruneAsync(CancellationToken cancellationToken = default)
    {
        var cutoff = time.GetUtcNow().UtcDateTime - options.Value.Retention;
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        var boards = (await db.Checkpoints.AsNoTracking()
            .Where(c => c.At < cutoff)
            .Select(c => new { c.BoardId, c.Seq, c.At })
            .ToListAsync(cancellationToken))
            .GroupBy(c => c.BoardId)
            .Select(board => (
                BoardId: board.Key,
                Base: board.Max(c => c.Seq),
                Thinned: board.GroupBy(c => c.At.Date).SelectMany(day => day.OrderByDescending(c => c.Seq).Skip(1)).Select(c => c.Seq).ToList()))
            .ToList();
        var work = new List<(string BoardId, long Base, List<long> Thinned)>();
        foreach (var board in boards)
        {
            if (board.Thinned.Count > 0 || await db.Operations.AnyAsync(o => o.BoardId == board.BoardId && o.Seq <= board.Base, cancellationToken))
            {
                work.Add(board);
            }
        }

        if (work.Count == 0)
        {
            return 0;
        }

        // Worth seeing: this removes a part of some board's past.
        using var span = RealtimeTelemetry.Source.StartActivity("prune history");
        var deleted = 0;
        foreach (var (boardId, baseSeq, thinned) in work)
        {
            deleted += await db.Operations.Where(o => o.BoardId == boardId && o.Seq <= baseSeq).ExecuteDeleteAsync(cancellationToken);
            deleted += await db.Checkpoints.Where(c => c.BoardId == boardId && thinned.Contains(c.Seq)).ExecuteDeleteAsync(cancellationToken);
        }

        span?.SetTag("sharedcanvas.history.deleted", deleted);
        LogPruned(deleted, cutoff);
        return deleted;
    }

    /// <summary>Removes a deleted board's history.</summary>
    public async Task DeleteAsync(string boardId, CancellationToken cancellationToken = default)
    {
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        await db.Operations.Where(o => o.BoardId == boardId).ExecuteDeleteAsync(cancellationToken);
        await db.Checkpoints.Where(c => c.BoardId == boardId).ExecuteDeleteAsync(cancellationToken);
    }

    /// <summary>The author and server time of a stored operation message.</summary>
    internal static (string Author, DateTime At) Stamp(ReadOnlySpan<byte> message)
    {
        var reader = new Utf8JsonReader(message);
        string? author = null;
        long ts = 0;
        reader.Read();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("author"u8))
            {
                reader.Read();
                author = reader.GetString();
            }
            else if (reader.ValueTextEquals("ts"u8))
            {
                reader.Read();
                ts = reader.GetInt64();
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        return (author ?? "", DateTimeOffset.FromUnixTimeMilliseconds(ts).UtcDateTime);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "History older than {Cutoff:u} thinned: {Deleted} rows removed")]
    private partial void LogPruned(int deleted, DateTime cutoff);
}
