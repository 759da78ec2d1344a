using System.Diagnostics;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Aspire.Hosting;

internal static class RedisExtensions
{
    /// <summary>
    /// Adds the Redis that carries the boards' logs and the fan-out between realtime replicas: the Aspire
    /// Redis container where a container engine answers, otherwise the machine's <c>redis-server</c> as an
    /// executable. <c>Redis:Mode</c> (<c>auto</c>, <c>container</c>, <c>executable</c>) overrides the choice.
    /// Either way it has a generated password, append-only persistence in <paramref name="dataDirectory"/>
    /// and a health check that others wait for.
    /// </summary>
    public static IResourceBuilder<IResourceWithConnectionString> AddBoardRedis(
        this IDistributedApplicationBuilder builder, string name, string dataDirectory)
    {
        var settings = builder.Configuration.GetSection("Redis");
        var mode = settings["Mode"] is { Length: > 0 } m ? m.ToLowerInvariant() : "auto";
        var appendFsync = settings["AppendFsync"] is { Length: > 0 } f ? f : "everysec";
        if (appendFsync is not ("always" or "everysec" or "no"))
        {
            throw new DistributedApplicationException($"Redis:AppendFsync must be always, everysec or no (was '{appendFsync}').");
        }

        var serverPath = FindOnPath(settings["ServerPath"] is { Length: > 0 } p ? p : "redis-server");
        var useContainer = mode switch
        {
            "container" => true,
            "executable" => false,
            "auto" => ContainerRuntimeAnswers(builder.Configuration),
            _ => throw new DistributedApplicationException($"Redis:Mode must be auto, container or executable (was '{mode}')."),
        };

        if (!useContainer && serverPath is null)
        {
            throw new DistributedApplicationException(
                mode == "executable"
                    ? "Redis:Mode is 'executable' but no redis-server was found on PATH. Install it: sudo apt-get install -y redis-server"
                    : "Neither a container engine nor redis-server is available. Install redis-server (sudo apt-get install -y redis-server) or start Docker, then run again.");
        }

        var topology = settings["Topology"] is { Length: > 0 } t ? t.ToLowerInvariant() : "standalone";
        if (topology == "cluster")
        {
            if (serverPath is null)
            {
                throw new DistributedApplicationException(
                    "Redis:Topology is 'cluster', which runs the machine's redis-server six times, but none was found on PATH. Install it: sudo apt-get install -y redis-server");
            }

            return builder.AddBoardRedisCluster(name, serverPath, Path.Combine(dataDirectory, "redis-cluster"), appendFsync, settings);
        }

        if (topology != "standalone")
        {
            throw new DistributedApplicationException($"Redis:Topology must be standalone or cluster (was '{topology}').");
        }

        var redisDirectory = Path.Combine(dataDirectory, "redis");
        Directory.CreateDirectory(redisDirectory);

        if (useContainer)
        {
            return builder.AddRedis(name)
                .WithDataBindMount(redisDirectory)
                .WithArgs("--appendonly", "yes", "--appendfsync", appendFsync, "--save", "");
        }

        return builder.AddRedisServer(name, serverPath!, redisDirectory, appendFsync);
    }

    private static IResourceBuilder<IResourceWithConnectionString> AddRedisServer(
        this IDistributedApplicationBuilder builder, string name, string serverPath, string redisDirectory, string appendFsync)
    {
        // Same generated-password parameter the container resource uses (letters and digits only:
        // StackExchange.Redis cannot take commas, and the value is written into redis-server's config).
        var password = ParameterResourceBuilderExtensions.CreateDefaultPasswordParameter(builder, $"{name}-password", special: false);
        // Not through DCP's proxy: every append is a round trip to Redis, and the proxy (a user-space TCP relay)
        // added about a millisecond to each under load (docs/performance.md). A port of its own, chosen once,
        // so that a restarted redis-server (the fault tests kill it) comes back where its clients look.
        return builder.AddRedisServerProcess(name, serverPath, redisDirectory, appendFsync, password, FreeTcpPort(), []);
    }

    /// <summary>
    /// One <c>redis-server</c> process as an executable resource: loopback only, on <paramref name="port"/>, with
    /// append-only persistence in <paramref name="redisDirectory"/>, <paramref name="password"/> required of clients
    /// (and given to its primary, should it be a cluster's replica), and a health check that others wait for.
    /// </summary>
    internal static IResourceBuilder<RedisServerResource> AddRedisServerProcess(
        this IDistributedApplicationBuilder builder, string name, string serverPath, string redisDirectory, string appendFsync,
        ParameterResource password, int port, IReadOnlyList<string> extraArgs)
    {
        Directory.CreateDirectory(redisDirectory);
        var redis = new RedisServerResource(name, "/bin/sh", redisDirectory, password);

        string? connectionString = null;
        builder.Eventing.Subscribe<ConnectionStringAvailableEvent>(redis, async (_, ct) =>
            connectionString = await redis.ConnectionStringExpression.GetValueAsync(ct).ConfigureAwait(false));

        var healthCheckKey = $"{name}_check";
        builder.Services.AddHealthChecks().AddRedis(
            _ => connectionString ?? throw new InvalidOperationException("The Redis connection string is not available yet."),
            name: healthCheckKey);

        return builder.AddResource(redis)
            .WithEndpoint(name: RedisServerResource.PrimaryEndpointName, scheme: "tcp", port: port, targetPort: port, isProxied: false)
            .WithEnvironment(context => context.EnvironmentVariables["REDIS_PASSWORD"] = password)
            .WithArgs(context =>
            {
                // The password reaches redis-server as configuration on stdin, so it never appears in a
                // process listing or in the dashboard's view of the arguments. `exec` keeps one process,
                // so the resource's PID is redis-server's own.
                context.Args.Add("-c");
                context.Args.Add("exec \"$0\" - \"$@\" <<EOF\nrequirepass $REDIS_PASSWORD\nmasterauth $REDIS_PASSWORD\nEOF");
                context.Args.Add(serverPath);
                context.Args.Add("--bind");
                context.Args.Add("127.0.0.1");
                context.Args.Add("--port");
                context.Args.Add(redis.PrimaryEndpoint.Property(EndpointProperty.TargetPort));
                context.Args.Add("--dir");
                context.Args.Add(redisDirectory);
                // The boards' logs live in Redis streams: append-only persistence, see docs/storage.md.
                context.Args.Add("--appendonly");
                context.Args.Add("yes");
                context.Args.Add("--appendfsync");
                context.Args.Add(appendFsync);
                context.Args.Add("--save");
                context.Args.Add("");
                foreach (var arg in extraArgs)
                {
                    context.Args.Add(arg);
                }
            })
            .WithHealthCheck(healthCheckKey);
    }

    /// <summary>A TCP port on the loopback interface that nothing listens on now.</summary>
    internal static int FreeTcpPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    internal static bool ContainerRuntimeAnswers(IConfiguration configuration)
    {
        var runtime = configuration["ASPIRE_CONTAINER_RUNTIME"] is { Length: > 0 } r ? r : "docker";
        if (FindOnPath(runtime) is not { } path)
        {
            return false;
        }

        try
        {
            using var process = Process.Start(new ProcessStartInfo(path, "info")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            });
            if (process is null)
            {
                return false;
            }

            _ = process.StandardOutput.ReadToEndAsync();
            _ = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromSeconds(10)))
            {
                process.Kill(entireProcessTree: true);
                return false;
            }

            return process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    internal static string? FindOnPath(string command)
    {
        if (Path.IsPathRooted(command))
        {
            return File.Exists(command) ? command : null;
        }

        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (var directory in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, command);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
