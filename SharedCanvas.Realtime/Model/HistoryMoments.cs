namespace SharedCanvas.Realtime.Model;

/// <summary>A point of a board's past: an operation (with its author) or a checkpoint (no author).</summary>
public readonly record struct HistoryStamp(long Seq, DateTime At, string Author);

/// <summary>A stretch of a board's past people recognise: work without a long pause, who did it, and how much.</summary>
public sealed record HistoryMoment(long From, long To, DateTime Start, DateTime End, IReadOnlyList<string> Authors, int Count);

/// <summary>
/// Groups a board's operations into moments for the History view (docs/protocol.md §4.9): a pause of more
/// than <see cref="Pause"/> between two operations ends a moment, and so does a moment growing longer than
/// <see cref="Longest"/>, so that a long session still shows its steps.
/// </summary>
public static class HistoryMoments
{
    public static readonly TimeSpan Pause = TimeSpan.FromMinutes(2);

    public static readonly TimeSpan Longest = TimeSpan.FromMinutes(15);

    /// <summary>The moments of <paramref name="operations"/> (in sequence order), oldest first.</summary>
    public static List<HistoryMoment> Group(IEnumerable<HistoryStamp> operations)
    {
        var moments = new List<HistoryMoment>();
        HistoryStamp first = default, last = default;
        var authors = new List<string>();
        var count = 0;
        foreach (var operation in operations)
        {
            if (count > 0 && (operation.At - last.At > Pause || operation.At - first.At > Longest))
            {
                moments.Add(new HistoryMoment(first.Seq, last.Seq, first.At, last.At, authors, count));
                authors = [];
                count = 0;
            }

            if (count == 0)
            {
                first = operation;
            }

            if (!authors.Contains(operation.Author))
            {
                authors.Add(operation.Author);
            }

            last = operation;
            count++;
        }

        if (count > 0)
        {
            moments.Add(new HistoryMoment(first.Seq, last.Seq, first.At, last.At, authors, count));
        }

        return moments;
    }
}
