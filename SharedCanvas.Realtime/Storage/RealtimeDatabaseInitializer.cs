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
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        var pending = (await db.Database.GetPendingMigrationsAsync(cancellationToken)).Count();
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
}
