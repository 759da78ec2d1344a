using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.Options;
using Microsoft.EntityFrameworkCore;
using SharedCanvas.Contracts;
using SharedCanvas.Web.Data;

namespace SharedCanvas.Web.Extensions;

public static class WebDatabaseExtensions
{
    /// <summary>
    /// The site's <see cref="WebDbContext"/> on the configured engine (<c>Database:Provider</c>: a SQLite file by
    /// default, or PostgreSQL through Aspire's Npgsql integration, with its health check and traces), from the
    /// connection string <c>web-db</c>. The site and the migration step both register it here.
    /// </summary>
    /// <param name="retryBrokenConnections">As for the realtime service's database (<c>AddRealtimeDbContext</c>): the site wants it, the migration step does not.</param>
    public static IHostApplicationBuilder AddWebDbContext(this IHostApplicationBuilder builder, bool retryBrokenConnections = true)
    {
        var connectionString = builder.Configuration.GetConnectionString("web-db")
            ?? throw new InvalidOperationException("The connection string 'ConnectionStrings:web-db' is missing.");
        switch (DatabaseProviders.Parse(builder.Configuration[DatabaseProviders.ConfigurationKey]))
        {
            case DatabaseProvider.PostgreSql:
                builder.Services.AddDbContext<PostgreSqlWebDbContext>(options => options.UseNpgsql(connectionString, npgsql =>
                {
                    if (retryBrokenConnections)
                    {
                        npgsql.EnableRetryOnFailure(DatabaseOutage.BrokenConnectionRetries, DatabaseOutage.BrokenConnectionRetryDelay, errorCodesToAdd: null);
                    }
                }));
                builder.Services.AddScoped<WebDbContext>(services => services.GetRequiredService<PostgreSqlWebDbContext>());
                builder.EnrichNpgsqlDbContext<PostgreSqlWebDbContext>(settings => settings.DisableRetry = true); // configured above
                break;
            default:
                builder.Services.AddDbContext<WebDbContext>(options => options.UseSqlite(connectionString));
                break;
        }

        return builder;
    }

    /// <summary>
    /// The site's database (connection string <c>web-db</c>), checked at start to be migrated, and Data
    /// Protection keys kept in it, so that sign-in cookies and the encrypted signing keys survive
    /// restarts and are shared by every replica.
    /// </summary>
    public static IHostApplicationBuilder AddWebDatabase(this IHostApplicationBuilder builder)
    {
        builder.AddWebDbContext();

        // Registered before Data Protection, whose own start-up service reads the key ring from the
        // database: hosted services start in the order they were added, so the schema exists first.
        builder.Services.AddHostedService<DatabaseInitializer>();

        builder.Services.AddOptions<KeyEncryptionOptions>()
            .BindConfiguration(KeyEncryptionOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddDataProtection()
            .SetApplicationName("SharedCanvas")
            .PersistKeysToDbContext<WebDbContext>();
        builder.Services.AddOptions<KeyManagementOptions>()
            .Configure<IOptions<KeyEncryptionOptions>>((keys, encryption) =>
                keys.XmlEncryptor = new AesGcmXmlEncryptor(encryption.Value.DeriveKey()));
        return builder;
    }
}
