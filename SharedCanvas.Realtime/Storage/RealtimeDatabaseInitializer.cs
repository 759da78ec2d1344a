using Microsoft.EntityFrameworkCore;

namespace SharedCanvas.Realtime.Storage;

/// <summary>
/// Applies the committed migrations before the service answers (EF Core serialises concurrent migrators,
/// so replicas may start together) and puts the SQLite file in WAL mode, so that replicas on one machine
/// read snapshots while a saver writes one.
/// </summary>
public sealed partial class RealtimeDatabaseInitializer(IDbContextFactory<RealtimeDbContext> databases, ILogger<RealtimeDatabaseInitializer> logger)
    : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var db = await databases.CreateDbContextAsync(cancellationToken);
        await db.Database.MigrateAsync(cancellationToken);
        if (db.Database.IsSqlite())
        {
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
        }

        LogReady();
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Snapshot database ready")]
    private partial void LogReady();
}
