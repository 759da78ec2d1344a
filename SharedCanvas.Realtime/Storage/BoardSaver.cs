using Microsoft.Extensions.Options;
using StackExchange.Redis;
using SharedCanvas.Realtime.Model;

namespace SharedCanvas.Realtime.Storage;

/// <summary>
/// Offloaded saving, off the hot path: savers on every replica share the work queue
/// <c>sc:saver:jobs</c> through one consumer group, so each board's job is taken by one saver. A job folds
/// the board's log from its last snapshot up to the head, stores the new snapshot, trims the log below
/// it (keeping a tail for short reconnects), and either clears the board's dirty mark or, if operations
/// arrived meanwhile, queues the board again. A saver that dies leaves its job pending; another takes it
/// over after <see cref="SaverOptions.ClaimIdleTime"/>, and the snapshot's sequence number tells it where
/// to resume.
/// </summary>
public sealed partial class BoardSaver(
    IConnectionMultiplexer redis,
    BoardLog log,
    SnapshotStore snapshots,
    BoardHistory history,
    IOptions<SaverOptions> options,
    ReplicaIdentity replica,
    RealtimeTelemetry telemetry,
    TimeProvider time,
    ILogger<BoardSaver> logger) : BackgroundService
{
    public const string Group = "savers";
    private const int Page = 1000;
    private const int CachedBoards = 32;

    // On the board's slot. KEYS: 1 head (seq, or the confirmed head), 2 dirty mark; ARGV: 1 saved seq, 2 now (ms). 1: the board is clean;
    // 0: operations arrived while it was saved, and the mark is renewed for the job the caller queues.
    private const string FinishScript = """
        local head = tonumber(redis.call('GET', KEYS[1]) or '0')
        if head <= tonumber(ARGV[1]) then
          redis.call('DEL', KEYS[2])
          return 1
        end
        redis.call('SET', KEYS[2], ARGV[2])
        return 0
        """;

    // On the queue's slot. KEYS: 1 jobs; ARGV: 1 group, 2 job id.
    private const string LetGoScript = """
        redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
        redis.call('XDEL', KEYS[1], ARGV[2])
        return 1
        """;

    private readonly IDatabase _db = redis.GetDatabase();
    private readonly SaverOptions _options = options.Value;
    private readonly Dictionary<string, (BoardState State, long LastUsed)> _cache = new();
    private long _uses;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_options.Enabled)
        {
            LogDisabled();
            return;
        }

        var consumer = replica.Name;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await PruneWhenDueAsync(stoppingToken);
                await EnsureGroupAsync();
                var jobs = (await _db.StreamAutoClaimAsync(BoardKeys.SaverJobs, Group, consumer,
                    (long)_options.ClaimIdleTime.TotalMilliseconds, "0-0", 8)).ClaimedEntries;
                if (jobs.Length > 0)
                {
                    // Worth seeing: a saver stopped (or died) with these jobs; this one finishes them.
                    using var takeOver = RealtimeTelemetry.Source.StartActivity("take over saver jobs");
                    takeOver?.SetTag("sharedcanvas.saver.jobs", jobs.Length);
                    LogTookOver(jobs.Length);
                }
                else
                {
                    jobs = await _db.StreamReadGroupAsync(BoardKeys.SaverJobs, Group, consumer, ">", 8);
                }

                if (jobs.Length == 0)
                {
                    await Task.Delay(_options.PollInterval, time, stoppingToken);
                    continue;
                }

                foreach (var job in jobs)
                {
                    await WaitUntilDueAsync(job.Id, stoppingToken);
                    var boardId = (string)job["b"]!;
                    // Its own trace, with the Redis and database calls it makes (background calls alone start none).
                    using var saving = RealtimeTelemetry.Source.StartActivity($"save snapshot {RealtimeTelemetry.Destination}");
                    saving?.SetTag("sharedcanvas.board.id", boardId);
                    await SaveAsync(boardId, job.Id, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                // Redis or the database (SQLite or PostgreSQL) is away, or saving failed otherwise: the job stays
                // pending and is taken up again. Never the end of the replica: that would drop every socket on it.
                LogSaverFailed(ex);
                await Task.Delay(TimeSpan.FromSeconds(1), time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    private bool _groupExists;
    private DateTimeOffset _prunedAt = DateTimeOffset.MinValue;

    /// <summary>Applies the history's retention once every <see cref="HistoryOptions.PruneInterval"/>.</summary>
    private async Task PruneWhenDueAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (now - _prunedAt < history.Options.PruneInterval)
        {
            return;
        }

        await history.PruneAsync(cancellationToken);
        _prunedAt = now;
    }

    private async Task EnsureGroupAsync()
    {
        if (_groupExists)
        {
            return;
        }

        try
        {
            await _db.StreamCreateConsumerGroupAsync(BoardKeys.SaverJobs, Group, "0", createStream: true);
        }
        catch (RedisServerException ex) when (ex.Message.StartsWith("BUSYGROUP", StringComparison.Ordinal))
        {
        }

        _groupExists = true;
    }

    /// <summary>Jobs are queued at a board's first unsaved operation; waiting a little batches the ones after it.</summary>
    private async Task WaitUntilDueAsync(RedisValue jobId, CancellationToken cancellationToken)
    {
        var id = (string)jobId!;
        if (!long.TryParse(id.AsSpan(0, id.IndexOf('-')), out var createdMs))
        {
            return;
        }

        var due = DateTimeOffset.FromUnixTimeMilliseconds(createdMs) + _options.SaveDelay - time.GetUtcNow();
        if (due > TimeSpan.Zero)
        {
            await Task.Delay(due, time, cancellationToken);
        }
    }

    /// <summary>Folds one board up to its head, stores the snapshot, trims the log, finishes the job.</summary>
    public async Task SaveAsync(string boardId, RedisValue jobId, CancellationToken cancellationToken)
    {
        var keys = new BoardKeys(boardId);
        var started = time.GetTimestamp();
        for (var attempt = 0; ; attempt++)
        {
            var state = await StateAsync(boardId, fresh: attempt > 0, cancellationToken);
            var savedSeq = state.Seq;
            if (await FoldAsync(keys, state) is not { } folded)
            {
                // The log no longer holds what follows our state: a newer snapshot exists. Start from it.
                if (attempt < 3)
                {
                    continue;
                }

                throw new InvalidOperationException($"Board {boardId}: the log does not continue its snapshot.");
            }

            if (state.Seq > savedSeq)
            {
                var snapshot = new Snapshot(state.Seq, state.SerializeElements(), state.Count);
                // Everything folded goes into the board's history with the snapshot (docs/storage.md "History").
                var record = new HistoryRecord(folded, await history.IsCheckpointDueAsync(boardId, state.Seq, cancellationToken));
                if (!await snapshots.SaveAsync(boardId, savedSeq, snapshot, record, cancellationToken))
                {
                    if (attempt < 3)
                    {
                        continue;
                    }

                    throw new InvalidOperationException($"Board {boardId}: another saver keeps writing its snapshot.");
                }

                var below = state.Seq - _options.KeepTail + 1;
                if (below > 1)
                {
                    await log.TrimBelowAsync(keys, below);
                }

                telemetry.SnapshotsSaved.Add(1);
                LogSaved(boardId, state.Seq, state.Count, snapshot.Elements.Length, time.GetElapsedTime(started).TotalMilliseconds);
            }

            Remember(boardId, state);
            var cleared = (long)await _db.ScriptEvaluateAsync(FinishScript, [log.HeadKey(keys), keys.Dirty],
                [state.Seq, time.GetUtcNow().ToUnixTimeMilliseconds()]);
            if (cleared == 0)
            {
                // Queued again before this job is let go: a saver dying in between leaves two jobs, never none.
                await _db.StreamAddAsync(BoardKeys.SaverJobs, "b", boardId);
                LogRequeued(boardId, state.Seq);
            }

            await _db.ScriptEvaluateAsync(LetGoScript, [BoardKeys.SaverJobs], [Group, jobId]);
            return;
        }
    }

    /// <summary>
    /// Applies everything in the log after the state's sequence number, and returns it (for the board's history).
    /// Null when the log has a gap there.
    /// </summary>
    private async Task<List<LogEntry>?> FoldAsync(BoardKeys keys, BoardState state)
    {
        // Up to the head readers may see: a snapshot never holds an operation a failover could take back.
        var entries = await log.ReadAfterAsync(keys, state.Seq, await log.GetHeadAsync(keys), Page);
        foreach (var entry in entries ?? [])
        {
            state.ApplyMessage(entry.Message);
        }

        return entries;
    }

    private async Task<BoardState> StateAsync(string boardId, bool fresh, CancellationToken cancellationToken)
    {
        // Taken out of the cache while it is worked on: the cache holds only states that are stored.
        if (_cache.Remove(boardId, out var cached) && !fresh)
        {
            return cached.State;
        }

        var snapshot = await snapshots.LoadAsync(boardId, cancellationToken);
        return BoardState.Load(snapshot.Seq, snapshot.Elements);
    }

    private void Remember(string boardId, BoardState state)
    {
        _cache[boardId] = (state, ++_uses);
        if (_cache.Count > CachedBoards)
        {
            var oldest = _cache.MinBy(e => e.Value.LastUsed).Key;
            _cache.Remove(oldest);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Took over {Count} saver jobs that another saver left unfinished")]
    private partial void LogTookOver(int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Saver disabled on this replica (Saver:Enabled=false)")]
    private partial void LogDisabled();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Saving a snapshot failed (Redis or the database away?); retrying")]
    private partial void LogSaverFailed(Exception exception);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Board {BoardId} saved at {Seq}: {Elements} elements, {Bytes} bytes, {Milliseconds:F1} ms")]
    private partial void LogSaved(string boardId, long seq, int elements, int bytes, double milliseconds);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Board {BoardId} changed while it was saved at {Seq}; queued again")]
    private partial void LogRequeued(string boardId, long seq);
}
