using Microsoft.Extensions.Configuration;

namespace Aspire.Hosting;

internal static class DataDirectoryExtensions
{
    /// <summary>
    /// The directory that holds the stack's local data (SQLite databases, Redis' append-only files), so
    /// that accounts and boards survive a restart. <c>SharedCanvas:DataDirectory</c> overrides the
    /// default, <c>.data/</c> at the repository root (git-ignored).
    /// </summary>
    public static string GetDataDirectory(this IDistributedApplicationBuilder builder)
    {
        var configured = builder.Configuration["SharedCanvas:DataDirectory"];
        var directory = string.IsNullOrWhiteSpace(configured)
            ? Path.Combine(builder.AppHostDirectory, "..", ".data")
            : configured;

        directory = Path.GetFullPath(directory);
        Directory.CreateDirectory(directory);
        return directory;
    }

    /// <summary>A SQLite connection string for a database file inside the data directory.</summary>
    public static string SqliteConnectionString(string dataDirectory, string fileName) =>
        $"Data Source={Path.Combine(dataDirectory, fileName)}";
}
