using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using SharedCanvas.Testing;

namespace SharedCanvas.IntegrationTests;

/// <summary>
/// The stack on the engines a larger installation uses: PostgreSQL (<c>Database:Provider=postgres</c>, the
/// machine's server as an executable resource) for the site's and the realtime service's databases, and a Redis
/// Cluster (<c>Redis:Topology=cluster</c>: three primaries with a replica each) for the boards' logs and
/// fan-out. The durability, fan-out, late-join and revocation scenarios run here as well as on the default
/// stack (SQLite, one redis-server), sharing this one stack.
/// </summary>
public sealed class DistributedStackFixture : StackFixture
{
    protected override string DatabaseProvider => "postgres";

    protected override string RedisTopology => "cluster";

    /// <summary>
    /// An append waits 1 s (not the shipped 2 s) for the board's replica here: a test that hangs a replica must see
    /// the refusal well before the cluster marks the replica failed (the node timeout, 3 s) and stops waiting for it.
    /// </summary>
    protected override void Configure(Aspire.Hosting.Testing.IDistributedApplicationTestingBuilder builder) =>
        SetEnvironment(builder, "realtime", "Realtime__ReplicaAckTimeout", "00:00:01");

    /// <summary>
    /// The node that is the primary for a board's hash slot now, by its resource id (<c>redis-…</c>), as the cluster
    /// says; null while none is (its primary was marked failed and its replica is not promoted yet).
    /// </summary>
    public async Task<string?> PrimaryOfBoardAsync(string boardId)
    {
        using var redis = await ConnectRedisAsync();
        var slot = redis.HashSlot($"sc:{{{boardId}}}:log");
        var primary = (await ClusterNodesAsync(redis)).SingleOrDefault(n => n.Flags.Contains("master") && !n.Flags.Contains("fail")
            && n.Slots.Any(range => range.From <= slot && slot <= range.To));
        return primary is null ? null : NodeOnPort(primary.Port);
    }

    /// <summary>The node that replicates a primary now, by its resource id.</summary>
    public async Task<string> ReplicaOfAsync(string primary)
    {
        using var redis = await ConnectRedisAsync();
        var nodes = await ClusterNodesAsync(redis);
        var id = nodes.Single(n => n.Port == PortOf(primary)).Id;
        return NodeOnPort(nodes.Single(n => n.PrimaryId == id).Port);
    }

    /// <summary>
    /// Hangs a primary's replica: SIGSTOP, and the primary's links to its replicas closed at once
    /// (<c>CLIENT KILL TYPE replica</c>), so that nothing more reaches even the hung process's socket buffer.
    /// Disposing the result resumes it (SIGCONT). The connection that kills the links is opened before the hang and
    /// closed after it: a client connecting to the cluster, or closing, waits on every node, the hung one too.
    /// </summary>
    public async Task<IAsyncDisposable> HangAsync(string replica, string primary)
    {
        var redis = await ConnectRedisAsync();
        var node = redis.GetServer("127.0.0.1", PortOf(primary));
        Signal(replica, "-STOP");
        await node.ExecuteAsync("CLIENT", "KILL", "TYPE", "replica");
        return new Hang(this, replica, redis);
    }

    private sealed class Hang(DistributedStackFixture stack, string replica, StackExchange.Redis.ConnectionMultiplexer redis) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            stack.Signal(replica, "-CONT");
            await redis.DisposeAsync();
        }
    }

    private void Signal(string resourceId, string signal)
    {
        using var kill = System.Diagnostics.Process.Start("kill", [signal, ProcessIdOf(resourceId).ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
        kill.WaitForExit();
    }

    private int PortOf(string resourceId) => App.Services.GetRequiredService<Aspire.Hosting.ApplicationModel.DistributedApplicationModel>().Resources
        .OfType<Aspire.Hosting.ApplicationModel.IResourceWithEndpoints>().Single(r => InstancesOf(r.Name).Contains(resourceId))
        .Annotations.OfType<Aspire.Hosting.ApplicationModel.EndpointAnnotation>().Single().Port!.Value;

    /// <summary>CLUSTER NODES as the first node that answers sees it.</summary>
    private static async Task<IReadOnlyList<ClusterNode>> ClusterNodesAsync(StackExchange.Redis.ConnectionMultiplexer redis)
    {
        foreach (var server in redis.GetServers().Where(s => s.IsConnected))
        {
            try
            {
                var text = (string?)await server.ExecuteAsync("CLUSTER", "NODES") ?? "";
                return [.. text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(ClusterNode.Parse)];
            }
            catch (StackExchange.Redis.RedisException)
            {
                // That one is down or still loading: ask the next.
            }
        }

        throw new InvalidOperationException("No cluster node answered CLUSTER NODES.");
    }

    /// <summary>One line of CLUSTER NODES: id, address, flags, its primary's id (or "-"), then slot ranges.</summary>
    private sealed record ClusterNode(string Id, int Port, string[] Flags, string PrimaryId, (int From, int To)[] Slots)
    {
        public static ClusterNode Parse(string line)
        {
            var f = line.Trim().Split(' ');
            var address = f[1].Split('@')[0];
            var slots = f.Skip(8).Where(x => !x.StartsWith('[')).Select(x => x.Split('-') is var r && r.Length == 2
                ? (int.Parse(r[0], System.Globalization.CultureInfo.InvariantCulture), int.Parse(r[1], System.Globalization.CultureInfo.InvariantCulture))
                : (int.Parse(x, System.Globalization.CultureInfo.InvariantCulture), int.Parse(x, System.Globalization.CultureInfo.InvariantCulture))).ToArray();
            return new(f[0], int.Parse(address[(address.LastIndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture), f[2].Split(','), f[3], slots);
        }
    }

    private async Task<StackExchange.Redis.ConnectionMultiplexer> ConnectRedisAsync() =>
        await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(
            await Aspire.Hosting.Testing.DistributedApplicationHostingTestingExtensions.GetConnectionStringAsync(App, "redis") + ",allowAdmin=true");

    private string NodeOnPort(int port)
    {
        var model = App.Services.GetRequiredService<Aspire.Hosting.ApplicationModel.DistributedApplicationModel>();
        var node = model.Resources.OfType<Aspire.Hosting.ApplicationModel.IResourceWithEndpoints>()
            .Where(r => r.Name.StartsWith("redis-", StringComparison.Ordinal))
            .Single(r => r.Annotations.OfType<Aspire.Hosting.ApplicationModel.EndpointAnnotation>().Any(e => e.Port == port));
        return InstancesOf(node.Name).Single();
    }

    /// <summary>Waits until the saver's snapshot of a board, a row on the server, covers <paramref name="atLeast"/>; returns its seq.</summary>
    public async Task<long> WaitForSnapshotAsync(string boardId, long atLeast, TimeSpan? patience = null)
    {
        var server = await Aspire.Hosting.Testing.DistributedApplicationHostingTestingExtensions.GetConnectionStringAsync(App, "postgres");
        var deadline = DateTime.UtcNow + (patience ?? TimeSpan.FromSeconds(60));
        long seq = 0;
        while (true)
        {
            try
            {
                await using var realtime = new NpgsqlConnection($"{server};Database=sharedcanvas_realtime;Pooling=false;Timeout=3");
                await realtime.OpenAsync();
                await using var query = new NpgsqlCommand("""SELECT "Seq" FROM "Snapshots" WHERE "BoardId" = @id""", realtime);
                query.Parameters.AddWithValue("id", boardId);
                seq = await query.ExecuteScalarAsync() as long? ?? 0;
            }
            catch (NpgsqlException)
            {
                // The server is away (a fault test killed it): ask again.
            }

            if (seq >= atLeast)
            {
                return seq;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"The saver stored no snapshot of {boardId} at or after {atLeast} (latest: {seq}).");
            }

            await Task.Delay(250);
        }
    }
}

[CollectionDefinition(Name)]
public sealed class DistributedCollection : ICollectionFixture<DistributedStackFixture>
{
    public const string Name = "stack on PostgreSQL and a Redis Cluster";
}
