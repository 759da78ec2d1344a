using Microsoft.EntityFrameworkCore;
using SharedCanvas.Web.Tokens;

namespace SharedCanvas.Web.Data;

/// <summary>
/// Before the site answers requests: checks that its database is migrated (the migration step,
/// SharedCanvas.MigrationService, does that once before any replica starts) and loads the signing keys.
/// </summary>
public sealed partial class DatabaseInitializer(IServiceScopeFactory scopes, SigningKeyStore keys, ILogger<DatabaseInitializer> logger)
    : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // A database that is away (restarting, say) is waited for, not a reason to end the process.
        var pending = await SharedCanvas.Contracts.DatabaseOutage.WaitForAsync(async ct =>
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<WebDbContext>();
            return (await db.Database.GetPendingMigrationsAsync(ct)).Count();
        }, (attempt, ex) => LogWaiting(attempt, ex.Message), cancellationToken);
        if (pending > 0)
        {
            throw new InvalidOperationException(
                $"The site's database lacks {pending} migrations: run the migration step (SharedCanvas.MigrationService) first.");
        }

        LogReady();
        await SharedCanvas.Contracts.DatabaseOutage.WaitForAsync(async ct =>
        {
            await keys.LoadAsync(ct);
            return true;
        }, (attempt, ex) => LogWaiting(attempt, ex.Message), cancellationToken);

        // A site that cannot judge passwords must not start (the estimate itself loads on first use).
        if (!Accounts.PasswordStrength.IsAvailable)
        {
            throw new InvalidOperationException($"The embedded {Accounts.PasswordStrength.ResourceName} is missing (the Web project's build makes it with npm).");
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Database ready")]
    private partial void LogReady();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Waiting for the site's database (attempt {Attempt}): {Reason}")]
    private partial void LogWaiting(int attempt, string reason);
}
