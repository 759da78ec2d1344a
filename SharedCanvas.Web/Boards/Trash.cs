using System.ComponentModel.DataAnnotations;
using System.Diagnostics;
using Microsoft.Extensions.Options;

namespace SharedCanvas.Web.Boards;

/// <summary>How long a deleted board waits in its owner's trash, and how often the site looks for ones whose time is over.</summary>
public sealed class TrashOptions
{
    public const string SectionName = "Trash";

    /// <summary>A board in the trash can be restored for this long, then it is deleted for good (default 30 days).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "3650.00:00:00")]
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>How often the site deletes what has been in the trash for longer than <see cref="Retention"/> (default hourly).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan PurgeInterval { get; set; } = TimeSpan.FromHours(1);
}

/// <summary>
/// Deletes for good the boards whose time in the trash is over. Quiet on every tick: the query that finds
/// none is a database call without a parent (the dashboard's sampler drops it); a purge is its own trace
/// ("purge trash") and an Information log.
/// </summary>
public sealed partial class TrashPurger(IServiceScopeFactory scopes, IOptions<TrashOptions> options, TimeProvider time, ILogger<TrashPurger> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.PurgeInterval, time);
        try
        {
            do
            {
                try
                {
                    await using var scope = scopes.CreateAsyncScope();
                    var boards = scope.ServiceProvider.GetRequiredService<BoardService>();
                    if (await boards.ExpiredTrashAsync(stoppingToken) is { Count: > 0 } expired)
                    {
                        using var activity = WebTelemetry.Source.StartActivity("purge trash", ActivityKind.Internal, parentContext: default);
                        activity?.SetTag("sharedcanvas.boards", expired.Count);
                        foreach (var board in expired)
                        {
                            await boards.DeleteForGoodAsync(board, stoppingToken);
                        }

                        LogPurged(expired.Count, options.Value.Retention);
                    }
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    // The database or Redis is away: the next tick tries again; nothing is half-deleted (the row goes first).
                    LogPurgeFailed(ex);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Deleted {Count} boards for good after {Retention} in the trash")]
    private partial void LogPurged(int count, TimeSpan retention);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not empty the trash of expired boards; trying again at the next interval")]
    private partial void LogPurgeFailed(Exception exception);
}
