namespace SharedCanvas.Contracts;

/// <summary>
/// Which database engine holds the site's and the realtime service's tables (docs/storage.md): both services
/// and the migration step read the same setting, <c>Database:Provider</c>, so they always agree.
/// </summary>
public enum DatabaseProvider
{
    /// <summary>SQLite files on one machine's disk: the default, nothing to install.</summary>
    Sqlite,

    /// <summary>A PostgreSQL server, for installations whose services run on several machines.</summary>
    PostgreSql,
}

public static class DatabaseProviders
{
    /// <summary>The configuration key both services and the migration step read.</summary>
    public const string ConfigurationKey = "Database:Provider";

    /// <summary><c>sqlite</c> (also when unset) or <c>postgres</c>/<c>postgresql</c>, in any case; anything else is refused.</summary>
    public static DatabaseProvider Parse(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        null or "" or "sqlite" => DatabaseProvider.Sqlite,
        "postgres" or "postgresql" => DatabaseProvider.PostgreSql,
        _ => throw new InvalidOperationException($"{ConfigurationKey} must be sqlite or postgres (was '{value}')."),
    };
}
