using SharedCanvas.Realtime.Model;
using SharedCanvas.Realtime.Protocol;
using SharedCanvas.Realtime.Storage;

namespace SharedCanvas.Realtime.Sessions;

/// <summary>
/// The board's past, for the History view (docs/protocol.md §4.9): its timeline, and the board as it was at
/// any kept sequence number. Anyone on the board may ask (viewers browse history; restoring is ordinary
/// operations, which only editors may send). Both read the database, so a socket may ask at most
/// <see cref="HistoryRequestsPerSecond"/> times a second, on top of its message budget.
/// </summary>
public sealed partial class BoardSession
{
    private const int HistoryRequestsPerSecond = 10;

    private DateTimeOffset _nextHistoryRequest;

    private bool MayAskHistory(DateTimeOffset now)
    {
        if (now < _nextHistoryRequest)
        {
            _services.Telemetry.Refuse("history_rate_limited");
            Enqueue(ServerMessages.Error(ErrorCodes.RateLimited, "history asked too often"));
            return false;
        }

        _nextHistoryRequest = now + TimeSpan.FromSeconds(1.0 / HistoryRequestsPerSecond);
        return true;
    }

    private async Task HandleHistoryAsync(DateTimeOffset now)
    {
        if (!MayAskHistory(now))
        {
            return;
        }

        var head = await _services.Log.GetHeadAsync(Keys);
        for (var attempt = 1; ; attempt++)
        {
            var timeline = await _services.History.TimelineAsync(_principal.BoardId);
            // What the saver has not archived yet is still in the log, from the operation after the archive's last.
            var tail = await TailAsync(timeline.ArchivedHead, head);
            if (tail is null && attempt < 3)
            {
                continue; // a saver archived and trimmed meanwhile
            }

            var stamps = timeline.Operations.Concat((tail ?? []).Select(e =>
            {
                var (author, at) = BoardHistory.Stamp(e.Message);
                return new HistoryStamp(e.Seq, at, author);
            }));
            Enqueue(ServerMessages.History(head, timeline.FirstVersion,
                HistoryMoments.Group(stamps).Select(m => (m.From, m.To, m.Start, m.End, m.Authors, m.Count)),
                timeline.OlderCheckpoints.Select(c => (c.Seq, c.At))));
            return;
        }
    }

    private async Task HandleVersionAsync(long seq, DateTimeOffset now)
    {
        if (!MayAskHistory(now))
        {
            return;
        }

        var head = await _services.Log.GetHeadAsync(Keys);
        for (var attempt = 1; seq <= head; attempt++)
        {
            var archived = await _services.History.ArchivedHeadAsync(_principal.BoardId);
            var state = await _services.History.VersionAsync(_principal.BoardId, Math.Min(seq, archived));
            var tail = seq > archived ? await TailAsync(archived, seq) : [];
            if (tail is null && attempt < 3)
            {
                continue;
            }

            if (state is null || tail is null)
            {
                break;
            }

            foreach (var entry in tail)
            {
                state.ApplyMessage(entry.Message);
            }

            Enqueue(ServerMessages.Version(seq, state.SerializeElements()));
            return;
        }

        Enqueue(ServerMessages.Error(ErrorCodes.VersionUnavailable, $"the history does not hold version {seq}"));
    }

    /// <summary>The log's entries after <paramref name="after"/> up to <paramref name="to"/>; null when the log no longer holds them all.</summary>
    private async Task<List<LogEntry>?> TailAsync(long after, long to)
    {
        var tail = await _services.Log.ReadAfterAsync(Keys, after, to, ReplayPage);
        return tail is not null && tail.Count == Math.Max(0, to - after) ? tail : null;
    }
}
