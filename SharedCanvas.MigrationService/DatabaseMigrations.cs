using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Npgsql;
using SharedCanvas.Realtime.Storage;
using SharedCanvas.Realtime.Extensions;
using SharedCanvas.Web.Data;
using SharedCanvas.Web.Extensions;

namespace SharedCanvas.MigrationService;

internal static class DatabaseMigrationsExtensions
{
    /// <summary>Both databases (connection strings <c>web-db</c> and <c>realtime-db</c>, engine <c>Database:Provider</c>) and the step that migrates them.</summary>
    public static IHostApplicationBuilder AddDatabaseMigrations(this IHostApplicationBuilder builder)
    {
        // Registered as the services register them, on the engine Database:Provider names.
        builder.AddWebDbContext(retryBrokenConnections: false);
        builder.AddRealtimeDbContext(retryBrokenConnections: false);
        builder.Services.AddHostedService<DatabaseMigrations>();
        return builder;
    }
}

/// <summary>
/// Applies every committed migration to the site's and the realtime service's databases, then stops the
/// process (exit code 0; anything else is a failure the services, which wait for this step, do not start
/// after). It is the only migrator: the app model runs it once, before the services, so no two processes
/// ever race to migrate one database (docs/operations.md). Being the only one, it may also take back EF
/// Core's migration lock from a migrator that was killed while it held it — the row a killed process leaves
/// in <c>__EFMigrationsLock</c> otherwise makes every later start wait for it forever.
/// </summary>
internal sealed partial class DatabaseMigrations(IServiceProvider services, IHostApplicationLifetime lifetime, ILogger<DatabaseMigrations> logger)
    : BackgroundService
{
    public const string SourceName = "SharedCanvas.MigrationService";

    private static readonly ActivitySource Source = new(SourceName);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var activity = Source.StartActivity("migrate databases");
        try
        {
            await using var scope = services.CreateAsyncScope();
            await MigrateAsync(scope.ServiceProvider.GetRequiredService<WebDbContext>(), "web", stoppingToken);
            await using var realtime = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<RealtimeDbContext>>().CreateDbContextAsync(stoppingToken);
            await MigrateAsync(realtime, "realtime", stoppingToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            LogFailed(ex);
            Environment.ExitCode = 1;
        }

        lifetime.StopApplication();
    }

    private async Task MigrateAsync(DbContext db, string name, CancellationToken cancellationToken)
    {
        if (db.Database.IsNpgsql())
        {
            await EnsurePostgreSqlDatabaseAsync(db.Database.GetConnectionString()!, name, cancellationToken);
            // EF Core reads its history table before it makes it, and logs that read as failing: make it first.
            await db.GetService<Microsoft.EntityFrameworkCore.Migrations.IHistoryRepository>().CreateIfNotExistsAsync(cancellationToken);
        }

        var pending = (await db.Database.GetPendingMigrationsAsync(cancellationToken)).ToList();
        if (db.Database.IsSqlite())
        {
            // The only migrator: a lock row now belongs to one that died (EF Core's SQLite lock is a row,
            // not a lock the database releases when its holder's connection goes).
            var released = await db.Database.ExecuteSqlRawAsync(
                """
                CREATE TABLE IF NOT EXISTS "__EFMigrationsLock" ("Id" INTEGER NOT NULL CONSTRAINT "PK___EFMigrationsLock" PRIMARY KEY, "Timestamp" TEXT NOT NULL);
                DELETE FROM "__EFMigrationsLock";
                """, cancellationToken);
            if (released > 0)
            {
                LogStaleLock(name);
            }
        }

        await db.Database.MigrateAsync(cancellationToken);
        if (db.Database.IsSqlite())
        {
            // Readers do not wait for a writer: several processes share the file on one machine.
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
        }

        LogMigrated(name, pending.Count);
    }

    /// <summary>
    /// Creates a PostgreSQL database that does not exist yet (the server's first start), through the server's
    /// maintenance database, so that EF Core never tries a connection to a missing database: it logs each such
    /// try as a failure, which the normal first start is not. Killed after this, the next start finds it.
    /// </summary>
    private async Task EnsurePostgreSqlDatabaseAsync(string connectionString, string name, CancellationToken cancellationToken)
    {
        var target = new NpgsqlConnectionStringBuilder(connectionString);
        var database = target.Database ?? throw new InvalidOperationException($"The {name} connection string names no database.");
        if (!System.Text.RegularExpressions.Regex.IsMatch(database, "^[A-Za-z_][A-Za-z0-9_]{0,62}$"))
        {
            throw new InvalidOperationException($"The {name} database name must be letters, digits and underscores (was '{database}').");
        }

        var maintenance = new NpgsqlConnectionStringBuilder(connectionString) { Database = "postgres", Pooling = false };
        await using var connection = new NpgsqlConnection(maintenance.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = @name", connection);
        exists.Parameters.AddWithValue("name", database);
        if (await exists.ExecuteScalarAsync(cancellationToken) is null)
        {
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{database}\"", connection);
            await create.ExecuteNonQueryAsync(cancellationToken);
            LogCreated(name, database);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Created the {Database} database ({Name}) on the PostgreSQL server")]
    private partial void LogCreated(string database, string name);

    [LoggerMessage(Level = LogLevel.Information, Message = "The {Database} database is up to date ({Applied} migrations applied)")]
    private partial void LogMigrated(string database, int applied);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The {Database} database held a migration lock of a migrator that did not finish; released")]
    private partial void LogStaleLock(string database);

    [LoggerMessage(Level = LogLevel.Critical, Message = "Migrating the databases failed")]
    private partial void LogFailed(Exception exception);
}
