using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.Options;
using Microsoft.EntityFrameworkCore;
using SharedCanvas.Web.Data;

namespace SharedCanvas.Web.Extensions;

internal static class WebDatabaseExtensions
{
    /// <summary>
    /// The site's database (SQLite file by default, connection string <c>web-db</c>), migrated at start,
    /// and Data Protection keys kept in it, so that sign-in cookies and the encrypted signing keys survive
    /// restarts and are shared by every replica.
    /// </summary>
    public static IHostApplicationBuilder AddWebDatabase(this IHostApplicationBuilder builder)
    {
        var connectionString = builder.Configuration.GetConnectionString("web-db")
            ?? throw new InvalidOperationException("The connection string 'ConnectionStrings:web-db' is missing.");

        builder.Services.AddDbContext<WebDbContext>(options => options.UseSqlite(connectionString));

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
