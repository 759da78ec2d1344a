using Microsoft.Extensions.Configuration;

namespace Aspire.Hosting;

internal static class DataDirectoryExtensions
{
    /// <summary>
    /// The directory that holds the stack's local data (SQLite databases or PostgreSQL's cluster, Redis' append-only files), so
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
}
