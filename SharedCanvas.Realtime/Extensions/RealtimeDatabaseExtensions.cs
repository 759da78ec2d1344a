using Microsoft.EntityFrameworkCore;
using SharedCanvas.Contracts;
using SharedCanvas.Realtime.Storage;

namespace SharedCanvas.Realtime.Extensions;

public static class RealtimeDatabaseExtensions
{
    /// <summary>
    /// The snapshots' database as a pooled <see cref="IDbContextFactory{RealtimeDbContext}"/> on the configured
    /// engine (<c>Database:Provider</c>: a SQLite file by default, or PostgreSQL through Aspire's Npgsql
    /// integration, with its health check and traces). The service and the migration step both register it here.
    /// </summary>
    /// <param name="retryBrokenConnections">
    /// Whether a command that meets a transient failure — above all a pooled connection the server's restart broke,
    /// which Npgsql hands out unchecked — is tried again on a fresh connection (a few times, within about a second)
    /// instead of failing the request that drew it. The services want it; the migration step, which opens its own
    /// transactions, does not.
    /// </param>
    public static IHostApplicationBuilder AddRealtimeDbContext(this IHostApplicationBuilder builder, bool retryBrokenConnections = true)
    {
        var connectionString = builder.Configuration.GetConnectionString("realtime-db")
            ?? throw new InvalidOperationException("The connection string 'ConnectionStrings:realtime-db' is missing.");
        switch (DatabaseProviders.Parse(builder.Configuration[DatabaseProviders.ConfigurationKey]))
        {
            case DatabaseProvider.PostgreSql:
                builder.Services.AddPooledDbContextFactory<PostgreSqlRealtimeDbContext>(options => options.UseNpgsql(connectionString, npgsql =>
                {
                    if (retryBrokenConnections)
                    {
                        npgsql.EnableRetryOnFailure(DatabaseOutage.BrokenConnectionRetries, DatabaseOutage.BrokenConnectionRetryDelay, errorCodesToAdd: null);
                    }
                }));
                builder.Services.AddSingleton<IDbContextFactory<RealtimeDbContext>, RealtimeDbContextFactory<PostgreSqlRealtimeDbContext>>();
                // Not in the replica's health: without its database it still carries every stroke (only late
                // joins and the saver wait), and a load balancer must not take every replica away at once.
                builder.EnrichNpgsqlDbContext<PostgreSqlRealtimeDbContext>(settings =>
                {
                    settings.DisableRetry = true; // configured above, with bounds of our own
                    settings.DisableHealthChecks = true;
                });
                break;
            default:
                builder.Services.AddPooledDbContextFactory<RealtimeDbContext>(options => options.UseSqlite(connectionString));
                break;
        }

        return builder;
    }
}
