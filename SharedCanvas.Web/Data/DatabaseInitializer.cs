using Microsoft.EntityFrameworkCore;
using SharedCanvas.Web.Tokens;

namespace SharedCanvas.Web.Data;

/// <summary>
/// Before the site answers requests: applies the committed migrations (EF Core serialises concurrent
/// migrators, so several replicas may start together) and loads the signing keys.
/// </summary>
public sealed partial class DatabaseInitializer(IServiceScopeFactory scopes, SigningKeyStore keys, ILogger<DatabaseInitializer> logger)
    : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using (var scope = scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<WebDbContext>();
            var pending = (await db.Database.GetPendingMigrationsAsync(cancellationToken)).Count();
            await db.Database.MigrateAsync(cancellationToken);
            if (db.Database.IsSqlite())
            {
                // Readers do not wait for a writer (several replicas may share the file on one machine).
                await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
            }

            LogMigrated(pending);
        }

        await keys.LoadAsync(cancellationToken);

        // A site that cannot judge passwords must not start (the estimate itself loads on first use).
        if (!Accounts.PasswordStrength.IsAvailable)
        {
            throw new InvalidOperationException($"The embedded {Accounts.PasswordStrength.ResourceName} is missing (the Web project's build makes it with npm).");
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Database ready ({Applied} migrations applied)")]
    private partial void LogMigrated(int applied);
}
