using System.Collections.Concurrent;
using Aspire.Hosting.ApplicationModel;

namespace SharedCanvas.Testing;

/// <summary>
/// The latest console lines of every instance of the services, as the dashboard's Console logs page shows
/// them, kept so that a failing test can say what the server said (a session's exception behind a 1011,
/// say) instead of only what the client saw.
/// </summary>
public sealed class ResourceLogs
{
    private const int Kept = 300;

    private readonly ConcurrentDictionary<string, Queue<string>> _lines = new();

    /// <summary>Starts keeping the lines of one instance (once; later calls for it do nothing).</summary>
    public void Watch(ResourceLoggerService logs, string resourceId, CancellationToken cancellationToken)
    {
        var queue = new Queue<string>();
        if (!_lines.TryAdd(resourceId, queue))
        {
            return;
        }

        _ = Task.Run(async () =>
        {
            try
            {
                await foreach (var batch in logs.WatchAsync(resourceId).WithCancellation(cancellationToken))
                {
                    lock (queue)
                    {
                        foreach (var line in batch)
                        {
                            queue.Enqueue(line.Content);
                            if (queue.Count > Kept)
                            {
                                queue.Dequeue();
                            }
                        }
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
        }, cancellationToken);
    }

    /// <summary>The last lines of every instance whose id starts with <paramref name="resourceName"/>.</summary>
    public string Tail(string resourceName, int lines = 80)
    {
        var report = new System.Text.StringBuilder();
        foreach (var (id, queue) in _lines.Where(l => l.Key.StartsWith(resourceName, StringComparison.Ordinal)).OrderBy(l => l.Key, StringComparer.Ordinal))
        {
            string[] tail;
            lock (queue)
            {
                tail = [.. queue.TakeLast(lines)];
            }

            report.Append("--- ").Append(id).Append(" (last ").Append(tail.Length).AppendLine(" lines) ---");
            foreach (var line in tail)
            {
                report.AppendLine(line);
            }
        }

        return report.ToString();
    }
}
