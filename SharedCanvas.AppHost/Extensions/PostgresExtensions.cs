using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using SharedCanvas.Contracts;

namespace Aspire.Hosting;

/// <summary>The two databases of the stack (the site's and the realtime service's) on the chosen engine.</summary>
/// <param name="Provider">What the services are told to use (<c>Database__Provider</c>).</param>
/// <param name="Web">The site's connection string (<c>ConnectionStrings__web-db</c>).</param>
/// <param name="Realtime">The realtime service's (<c>ConnectionStrings__realtime-db</c>).</param>
/// <param name="Server">The PostgreSQL server resource to wait for, or null for SQLite files.</param>
internal sealed record BoardDatabases(DatabaseProvider Provider, ReferenceExpression Web, ReferenceExpression Realtime,
    IResourceBuilder<IResourceWithConnectionString>? Server);

internal static class PostgresExtensions
{
    /// <summary>
    /// The stack's databases as <c>Database:Provider</c> says: SQLite files in the data directory (the default),
    /// or two databases on one PostgreSQL server — the Aspire PostgreSQL container where a container engine
    /// answers, otherwise the machine's PostgreSQL as an executable (<c>PostgreSql:Mode</c>: <c>auto</c>,
    /// <c>container</c>, <c>executable</c>). The server has a generated password, its data in the data
    /// directory and a health check; the databases themselves are created by the migration step.
    /// </summary>
    public static BoardDatabases AddBoardDatabases(this IDistributedApplicationBuilder builder, string dataDirectory)
    {
        var provider = DatabaseProviders.Parse(builder.Configuration[DatabaseProviders.ConfigurationKey]);
        if (provider == DatabaseProvider.Sqlite)
        {
            return new(provider,
                ReferenceExpression.Create($"Data Source={Path.Combine(dataDirectory, "web.db")}"),
                ReferenceExpression.Create($"Data Source={Path.Combine(dataDirectory, "realtime.db")}"),
                null);
        }

        var settings = builder.Configuration.GetSection("PostgreSql");
        var mode = settings["Mode"] is { Length: > 0 } m ? m.ToLowerInvariant() : "auto";
        var useContainer = mode switch
        {
            "container" => true,
            "executable" => false,
            "auto" => RedisExtensions.ContainerRuntimeAnswers(builder.Configuration),
            _ => throw new DistributedApplicationException($"PostgreSql:Mode must be auto, container or executable (was '{mode}')."),
        };

        var directory = Path.Combine(dataDirectory, "postgres");
        Directory.CreateDirectory(directory);
        var password = ParameterResourceBuilderExtensions.CreateDefaultPasswordParameter(builder, "postgres-password", special: false);
        IResourceBuilder<IResourceWithConnectionString> server;
        if (useContainer)
        {
            server = builder.AddPostgres("postgres", password: builder.CreateResourceBuilder(password)).WithDataBindMount(directory);
        }
        else
        {
            var binDirectory = settings["BinDirectory"] is { Length: > 0 } b ? b : FindServerBinaries()
                ?? throw new DistributedApplicationException(
                    "Database:Provider is 'postgres' but no PostgreSQL server was found (/usr/lib/postgresql/*/bin). Install it: sudo apt-get install -y postgresql");
            server = builder.AddPostgresServer("postgres", binDirectory, directory, password);
        }

        return new(provider,
            ReferenceExpression.Create($"{server.Resource.ConnectionStringExpression};Database=sharedcanvas_web"),
            ReferenceExpression.Create($"{server.Resource.ConnectionStringExpression};Database=sharedcanvas_realtime"),
            server);
    }

    private static IResourceBuilder<IResourceWithConnectionString> AddPostgresServer(
        this IDistributedApplicationBuilder builder, string name, string binDirectory, string directory, ParameterResource password)
    {
        var postgres = new PostgresExecutableResource(name, "/bin/sh", directory, password);

        string? connectionString = null;
        builder.Eventing.Subscribe<ConnectionStringAvailableEvent>(postgres, async (_, ct) =>
            connectionString = await postgres.ConnectionStringExpression.GetValueAsync(ct).ConfigureAwait(false));
        var healthCheckKey = $"{name}_check";
        builder.Services.AddHealthChecks().AddNpgSql(
            _ => (connectionString ?? throw new InvalidOperationException("The PostgreSQL connection string is not available yet.")) + ";Database=postgres;Timeout=3",
            name: healthCheckKey);

        // As for Redis: not through DCP's proxy, and on a port chosen once, so that a restarted server (the
        // fault tests kill it) comes back where its clients look.
        var port = RedisExtensions.FreeTcpPort();
        return builder.AddResource(postgres)
            .WithEndpoint(name: PostgresExecutableResource.PrimaryEndpointName, scheme: "tcp", port: port, targetPort: port, isProxied: false)
            .WithEnvironment(context =>
            {
                context.EnvironmentVariables["PGPASSWORD_INIT"] = password;
                context.EnvironmentVariables["PG_BIN"] = binDirectory;
                context.EnvironmentVariables["PG_DIR"] = Path.Combine(directory, "data");
            })
            .WithArgs(context =>
            {
                context.Args.Add("-c");
                context.Args.Add(StartScript);
                context.Args.Add("postgres");
                context.Args.Add(postgres.PrimaryEndpoint.Property(EndpointProperty.TargetPort));
            })
            .WithHealthCheck(healthCheckKey);
    }

    /// <summary>
    /// Creates the cluster on first start, then becomes the server (<c>exec</c>, so the resource's PID is the
    /// postmaster's own). The cluster is made in a directory beside its final place and renamed there only
    /// once complete, so a start killed at any moment leaves either nothing or a whole cluster. PostgreSQL
    /// refuses to run as root: as root, the data belongs to the <c>postgres</c> account (Debian's package
    /// creates it) and the server runs as it. The password comes from the environment into a file only
    /// <c>initdb</c> reads, never into an argument.
    /// </summary>
    private const string StartScript =
        """
        set -eu
        port="$1"
        as_owner() { if [ "$(id -u)" = 0 ]; then setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"; else "$@"; fi; }
        if [ ! -f "$PG_DIR/PG_VERSION" ]; then
          # What an earlier, killed start left (its initdb may even still be running, in its own directory).
          rm -rf "$PG_DIR" "$PG_DIR".init.* "$PG_DIR".pw.*
          init="$PG_DIR.init.$$"
          pw="$PG_DIR.pw.$$"
          mkdir -p "$init"
          (umask 077; printf '%s\n' "$PGPASSWORD_INIT" > "$pw")
          if [ "$(id -u)" = 0 ]; then
            chown postgres: "$init" "$pw"
            chmod a+x "$(dirname "$PG_DIR")" "$(dirname "$(dirname "$PG_DIR")")"
          fi
          as_owner "$PG_BIN/initdb" -D "$init" -U postgres --pwfile="$pw" -A scram-sha-256 -E UTF8 --no-locale >/dev/null
          rm -f "$pw"
          mv "$init" "$PG_DIR"
        fi
        unset PGPASSWORD_INIT
        if [ "$(id -u)" = 0 ]; then
          exec setpriv --reuid=postgres --regid=postgres --init-groups -- "$PG_BIN/postgres" -D "$PG_DIR" -h 127.0.0.1 -p "$port" -c unix_socket_directories=
        fi
        exec "$PG_BIN/postgres" -D "$PG_DIR" -h 127.0.0.1 -p "$port" -c unix_socket_directories=
        """;

    /// <summary>The newest PostgreSQL server binaries of Debian's layout (/usr/lib/postgresql/N/bin), or null.</summary>
    private static string? FindServerBinaries() =>
        Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql")
                .Select(d => (Version: int.TryParse(Path.GetFileName(d), out var v) ? v : 0, Bin: Path.Combine(d, "bin")))
                .Where(d => File.Exists(Path.Combine(d.Bin, "postgres")) && File.Exists(Path.Combine(d.Bin, "initdb")))
                .OrderByDescending(d => d.Version)
                .Select(d => d.Bin)
                .FirstOrDefault()
            : null;
}
