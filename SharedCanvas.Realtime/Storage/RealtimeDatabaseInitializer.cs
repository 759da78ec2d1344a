using Microsoft.EntityFrameworkCore;

namespace SharedCanvas.Realtime.Storage;

/// <summary>
/// Before the service answers: checks that the snapshot database is migrated. The migration step
/// (SharedCanvas.MigrationService) migrates it once, before any replica starts; replicas never migrate,
/// so none can leave a half-done migration or its lock behind (docs/operations.md).
/// </summary>
public sealed partial class RealtimeDatabaseInitializer(IDbContextFactory<RealtimeDbContext> databases, ILogger<RealtimeDatabaseInitializer> logger)
    : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // A database that is away (restarting, say) is waited for, not a reason to end the process.
        var pending = await SharedCanvas.Contracts.DatabaseOutage.WaitForAsync(async ct =>
        {
            await using var db = await databases.CreateDbContextAsync(ct);
            return (await db.Database.GetPendingMigrationsAsync(ct)).Count();
        }, (attempt, ex) => LogWaiting(attempt, ex.Message), cancellationToken);
        if (pending > 0)
        {
            throw new InvalidOperationException(
                $"The snapshot database lacks {pending} migrations: run the migration step (SharedCanvas.MigrationService) first.");
        }

        LogReady();
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Snapshot database ready")]
    private partial void LogReady();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Waiting for the snapshot database (attempt {Attempt}): {Reason}")]
    private partial void LogWaiting(int attempt, string reason);
}
