using System.Globalization;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Configuration;

namespace Aspire.Hosting;

internal static class RedisClusterExtensions
{
    private const int Nodes = 6;

    /// <summary>
    /// <c>Redis:Topology=cluster</c>: a local Redis Cluster of three primaries, each with a replica — six
    /// <c>redis-server</c> executables (<c>{name}-0</c> … <c>{name}-5</c>) with append-only persistence under
    /// <paramref name="directory"/> — and the step <paramref name="name"/> that forms it with
    /// <c>redis-cli --cluster create</c> the first time and on every start waits until it serves every slot.
    /// The nodes keep the ports they were first given (written to <c>ports</c> in the directory), because each
    /// remembers the others by address in its <c>nodes.conf</c>.
    /// </summary>
    public static IResourceBuilder<IResourceWithConnectionString> AddBoardRedisCluster(
        this IDistributedApplicationBuilder builder, string name, string serverPath, string directory, string appendFsync, IConfiguration settings)
    {
        Directory.CreateDirectory(directory);
        var nodeTimeout = settings.GetValue("ClusterNodeTimeout", 3000);
        var cli = RedisExtensions.FindOnPath(Path.Combine(Path.GetDirectoryName(serverPath)!, "redis-cli"))
            ?? RedisExtensions.FindOnPath("redis-cli")
            ?? throw new DistributedApplicationException("redis-cli was not found beside redis-server or on PATH. Install it: sudo apt-get install -y redis-tools");
        var password = ParameterResourceBuilderExtensions.CreateDefaultPasswordParameter(builder, $"{name}-password", special: false);
        var ports = NodePorts(directory);

        var nodes = new List<IResourceBuilder<RedisServerResource>>();
        for (var i = 0; i < Nodes; i++)
        {
            nodes.Add(builder.AddRedisServerProcess($"{name}-{i}", serverPath, Path.Combine(directory, $"node-{i}"), appendFsync, password, ports[i],
            [
                "--cluster-enabled", "yes",
                "--cluster-config-file", "nodes.conf",
                // How long a primary may be silent before its replica takes over (and writes to its boards wait).
                "--cluster-node-timeout", nodeTimeout.ToString(CultureInfo.InvariantCulture),
                // A shard that is failing over does not stop the others: their boards go on.
                "--cluster-require-full-coverage", "no",
                // A replica cut off from its primary for longer than the node timeout may not take its place: the
                // primary, which goes on without it once the cluster marks it failed, may hold operations it lacks.
                "--cluster-replica-validity-factor", "1",
            ]));
        }

        var cluster = new RedisClusterResource(name, directory, password, [.. nodes.Select(n => n.Resource)]);
        var formation = builder.AddResource(cluster)
            .WithEnvironment(context => context.EnvironmentVariables["REDIS_PASSWORD"] = password)
            .WithEnvironment("REDIS_CLI", cli)
            .WithEnvironment("REDIS_PORTS", string.Join(' ', ports))
            .WithArgs("-c", FormScript);
        foreach (var node in nodes)
        {
            // Started, not healthy: a node's health check asks for cluster_state:ok, which only forming gives.
            formation.WaitForStart(node);
        }

        return formation;
    }

    /// <summary>Waits for the board Redis as its kind needs: a server until it is healthy, a cluster until it is formed.</summary>
    public static IResourceBuilder<T> WaitForBoardRedis<T>(this IResourceBuilder<T> builder, IResourceBuilder<IResourceWithConnectionString> redis)
        where T : IResourceWithWaitSupport =>
        redis.Resource is RedisClusterResource ? builder.WaitForCompletion(redis) : builder.WaitFor(redis);

    /// <summary>The nodes' ports: those recorded in the directory, or six free ones, recorded now.</summary>
    private static int[] NodePorts(string directory)
    {
        var file = Path.Combine(directory, "ports");
        if (File.Exists(file)
            && File.ReadAllText(file).Split(' ', StringSplitOptions.RemoveEmptyEntries) is { Length: Nodes } recorded
            && recorded.All(p => int.TryParse(p, CultureInfo.InvariantCulture, out _)))
        {
            return [.. recorded.Select(p => int.Parse(p, CultureInfo.InvariantCulture))];
        }

        var ports = new HashSet<int>();
        while (ports.Count < Nodes)
        {
            ports.Add(RedisExtensions.FreeTcpPort());
        }

        // Written whole, then moved into place: a start killed here leaves no half-written file.
        var temporary = file + ".tmp";
        File.WriteAllText(temporary, string.Join(' ', ports));
        File.Move(temporary, file, overwrite: true);
        return [.. ports];
    }

    /// <summary>
    /// Forms the cluster or waits for it to be whole again. Nodes that hold no data and share no slots are a new
    /// cluster (or one whose forming was killed half-way: reset and formed again); a cluster that holds data is
    /// never reset — missing slots are repaired with <c>--cluster fix</c>. Then every node must report
    /// <c>cluster_state:ok</c>.
    /// </summary>
    private const string FormScript = """
        set -eu
        cli() { "$REDIS_CLI" --no-auth-warning -a "$REDIS_PASSWORD" -h 127.0.0.1 "$@"; }
        info() { cli -p "$1" cluster info | tr -d '\r' | sed -n "s/^$2://p"; }
        first=""
        addresses=""
        for port in $REDIS_PORTS; do
          until [ "$(cli -p "$port" ping 2>/dev/null)" = "PONG" ]; do sleep 0.2; done
          first=${first:-$port}
          addresses="$addresses 127.0.0.1:$port"
        done
        # A formed cluster whose nodes just started needs a moment of gossip to be whole again.
        tries=0
        while [ "$(info "$first" cluster_state)" != "ok" ] && [ "$tries" -lt 25 ]; do tries=$((tries + 1)); sleep 0.2; done
        keys=0; assigned=0; known=0
        for port in $REDIS_PORTS; do
          keys=$((keys + $(cli -p "$port" dbsize)))
          assigned=$((assigned + $(info "$port" cluster_slots_assigned)))
          known=$((known + $(info "$port" cluster_known_nodes)))
        done
        if [ "$(info "$first" cluster_state)" != "ok" ]; then
          if [ "$keys" -eq 0 ]; then
            if [ "$assigned" -ne 0 ] || [ "$known" -ne 6 ]; then
              echo "An unfinished cluster without data: resetting its nodes to form it again"
              for port in $REDIS_PORTS; do cli -p "$port" cluster reset hard >/dev/null; done
            fi
            echo "Forming the cluster:$addresses"
            cli --cluster create $addresses --cluster-replicas 1 --cluster-yes
          elif [ "$(info "$first" cluster_slots_assigned)" != "16384" ]; then
            echo "Slots are missing: repairing"
            cli --cluster fix "127.0.0.1:$first" --cluster-yes
          fi
        fi
        waited=0
        for port in $REDIS_PORTS; do
          until [ "$(info "$port" cluster_state)" = "ok" ]; do
            waited=$((waited + 1))
            if [ "$waited" -gt 600 ]; then echo "The cluster did not become whole within 2 minutes" >&2; exit 1; fi
            sleep 0.2
          done
        done
        echo "Cluster ready: every slot served"
        """;
}
