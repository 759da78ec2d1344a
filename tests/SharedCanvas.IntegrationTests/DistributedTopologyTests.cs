using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SharedCanvas.Testing;

namespace SharedCanvas.IntegrationTests;

/// <summary>
/// On <c>Database:Provider=postgres</c> the stack's data is on the PostgreSQL server and nowhere else: no
/// SQLite file appears in the data directory, and accounts, boards and snapshots are rows of its databases.
/// </summary>
[Collection(DistributedCollection.Name)]
public sealed class DistributedTopologyTests(DistributedStackFixture stack)
{
    [Fact]
    public async Task AccountsBoardsAndSnapshotsAreRowsOnThePostgreSqlServerAndNoSqliteFileExists()
    {
        using var ada = await stack.RegisterAsync();
        var boardId = await ada.CreateBoardAsync();
        await using (var socket = await BoardSocket.ConnectAsync(await ada.GetRealtimeTokenAsync(boardId), stack.WebOrigin))
        {
            await socket.JoinAsync();
            var n = await socket.SendOpAsync(Ops.AddPen("on-postgres", 1, 1));
            await socket.WaitForAsync(m => BoardSocket.Type(m) == "ack" && (long?)m["n"] == n);
        }

        await using (var web = await stack.OpenWebDatabaseAsync())
        {
            Assert.True(web.Database.IsNpgsql());
            Assert.True(await web.Boards.AnyAsync(b => b.Id == boardId));
            Assert.Equal(1, await web.Users.CountAsync(u => u.Id == web.Boards.Where(b => b.Id == boardId).Select(b => b.OwnerId).Single()));
        }

        // The saver folds the log into a snapshot a second or so later: a row of the realtime database.
        Assert.True(await stack.WaitForSnapshotAsync(boardId, atLeast: 1) >= 1);
        Assert.Empty(Directory.EnumerateFiles(stack.DataDirectory, "*.db*", SearchOption.AllDirectories));
        Assert.True(File.Exists(Path.Combine(stack.DataDirectory, "postgres", "data", "PG_VERSION")));
    }
}

/// <summary>
/// Replicas anywhere (docs/operations.md, "Several machines"): a realtime replica started by hand, outside the
/// AppHost, configured only by its environment (connection strings, the site's address, the allowed origin),
/// joins the AppHost's replicas: a stroke drawn through it reaches a socket on them, and the other way round.
/// Nothing it needs is on a disk another replica reads.
/// </summary>
[Collection(DistributedCollection.Name)]
public sealed class ReplicaAnywhereTests(DistributedStackFixture stack)
{
    [Fact]
    public async Task AReplicaStartedByHandWithOnlyItsEnvironmentServesABoardBesideTheAppHostsReplicas()
    {
        using var outside = await OutsideReplica.StartAsync(stack);
        using var ada = await stack.RegisterAsync();
        var boardId = await ada.CreateBoardAsync();
        var token = await ada.GetRealtimeTokenAsync(boardId);

        // One socket on the replica started by hand, one on the AppHost's (where the site sends browsers).
        await using var there = await BoardSocket.ConnectAsync(token with { Url = outside.SocketUrl(token.Url) }, stack.WebOrigin);
        await using var here = await BoardSocket.ConnectAsync(await ada.GetRealtimeTokenAsync(boardId), stack.WebOrigin);
        await there.JoinAsync();
        await here.JoinAsync();
        Assert.Equal(outside.Name, (string?)there.Welcome!["server"]);
        Assert.NotEqual(outside.Name, (string?)here.Welcome!["server"]);

        await there.SendOpAsync(Ops.AddPen("drawn-outside", 1, 1));
        await here.WaitForAsync(m => BoardSocket.Type(m) == "op" && (string?)m["op"]?["el"]?["id"] == "drawn-outside");
        await here.SendOpAsync(Ops.AddPen("drawn-inside", 2, 2));
        await there.WaitForAsync(m => BoardSocket.Type(m) == "op" && (string?)m["op"]?["el"]?["id"] == "drawn-inside");
    }

    /// <summary><c>dotnet SharedCanvas.Realtime.dll</c>, as an operator runs it on another machine.</summary>
    private sealed class OutsideReplica : IDisposable
    {
        private readonly System.Diagnostics.Process _process;
        private readonly int _port;

        private OutsideReplica(System.Diagnostics.Process process, int port)
        {
            _process = process;
            _port = port;
        }

        /// <summary>What it says in <c>welcome.server</c>: the host name and its process id.</summary>
        public string Name => $"{Environment.MachineName.ToLowerInvariant()}-{_process.Id}";

        public string SocketUrl(string url) => new UriBuilder(url) { Host = "127.0.0.1", Port = _port }.Uri.ToString();

        public static async Task<OutsideReplica> StartAsync(DistributedStackFixture stack)
        {
            var model = stack.App.Services.GetRequiredService<Aspire.Hosting.ApplicationModel.DistributedApplicationModel>();
            var project = model.Resources.OfType<Aspire.Hosting.ApplicationModel.ProjectResource>().Single(r => r.Name == "realtime");
            var projectDirectory = Path.GetDirectoryName(project.GetProjectMetadata().ProjectPath)!;
#if DEBUG
            const string configuration = "Debug";
#else
            const string configuration = "Release";
#endif
            var assembly = Path.Combine(projectDirectory, "bin", configuration, "net10.0", "SharedCanvas.Realtime.dll");
            var port = FreePort();
            var server = await stack.App.GetConnectionStringAsync("postgres");
            var start = new System.Diagnostics.ProcessStartInfo("dotnet", [assembly])
            {
                WorkingDirectory = Path.GetDirectoryName(assembly)!,
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            var environment = new Dictionary<string, string?>
            {
                ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
                ["ASPNETCORE_ENVIRONMENT"] = "Production",
                ["ConnectionStrings__redis"] = await stack.App.GetConnectionStringAsync("redis"),
                ["Database__Provider"] = "postgres",
                ["ConnectionStrings__realtime-db"] = $"{server};Database=sharedcanvas_realtime",
                ["Auth__Issuer"] = stack.WebOrigin,
                ["Auth__JwksUrl"] = $"{stack.WebOrigin}/.well-known/jwks.json",
                ["Auth__RequireHttpsMetadata"] = "false",
                ["Realtime__AllowedOrigins__0"] = stack.WebOrigin,
                // On a Redis Cluster, as the AppHost's replicas: acknowledged once a replica holds it (docs/operations.md).
                ["Realtime__AcknowledgeReplicas"] = "1",
            };
            foreach (var (key, value) in environment)
            {
                start.Environment[key] = value;
            }

            // Nothing of the test run's own environment that would tell it where it is (Aspire's, OpenTelemetry's).
            foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("OTEL_", StringComparison.Ordinal) || k.StartsWith("services__", StringComparison.Ordinal)).ToList())
            {
                start.Environment.Remove(key);
            }

            var process = System.Diagnostics.Process.Start(start)!;
            var output = new System.Text.StringBuilder();
            process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
            process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var replica = new OutsideReplica(process, port);
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
            for (var deadline = DateTime.UtcNow.AddSeconds(60); ; await Task.Delay(250))
            {
                try
                {
                    using var health = await http.GetAsync($"http://127.0.0.1:{port}/health");
                    if (health.IsSuccessStatusCode)
                    {
                        return replica;
                    }
                }
                catch (HttpRequestException)
                {
                }
                catch (TaskCanceledException)
                {
                }

                if (process.HasExited || DateTime.UtcNow > deadline)
                {
                    replica.Dispose();
                    lock (output)
                    {
                        throw new InvalidOperationException($"The replica started by hand did not become healthy. Its output:\n{output}");
                    }
                }
            }
        }

        private static int FreePort()
        {
            using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
            listener.Start();
            return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        }

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }

            _process.Dispose();
        }
    }
}

/// <summary>
/// Faults on the distributed topology. kill -9 of the Redis primary that holds a board while three people draw
/// on it: its replica takes over, drawing goes on, nothing acknowledged is lost. kill -9 of the PostgreSQL server while three people draw and the savers fold their
/// board every second: drawing goes on (appends need only Redis), nothing acknowledged is lost, and once the
/// server is back the saver stores a snapshot of everything. kill -9 of a realtime replica in its start-up:
/// started again, it comes up.
/// </summary>
[Collection(DistributedCollection.Name)]
public sealed class DistributedFaultTests(DistributedStackFixture stack, ITestOutputHelper output) : FaultScenarios(stack, output)
{
    private readonly DistributedStackFixture _stack = stack;

    [Fact]
    public async Task KillingPostgreSqlWhileTheSaverWorksLosesNothingAndTheSaverResumes()
    {
        var (drawers, token, boardId) = await StartDrawingAsync();
        await _stack.WaitForSnapshotAsync(boardId, atLeast: 1);

        // The services' processes, which must all outlive the outage: a database that is away ends none of them.
        var services = _stack.InstancesOf("realtime").Append(_stack.InstancesOf("web").Single()).ToDictionary(id => id, _stack.ProcessIdOf);
        var postgres = _stack.InstancesOf("postgres").Single();
        await _stack.KillAsync(postgres);
        var before = drawers.Sum(d => d.Acknowledged.Count);
        // Long enough for every saver and the site's trash purger (each once a second) to meet the outage.
        await Task.Delay(TimeSpan.FromSeconds(4));
        Assert.True(drawers.Sum(d => d.Acknowledged.Count) > before, "drawing stopped while the database was down");

        // The replicas still say they are healthy (they carry the strokes; a load balancer must keep them),
        // the site that it is not (it can serve nothing without its database).
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        for (var i = 0; i < 4; i++)
        {
            using var replica = await http.GetAsync(new Uri(_stack.App.GetEndpoint("realtime", "http"), "/health"));
            Assert.Equal(System.Net.HttpStatusCode.OK, replica.StatusCode);
        }

        using (var site = await http.GetAsync(new Uri(_stack.WebUrl, "/health")))
        {
            Assert.NotEqual(System.Net.HttpStatusCode.OK, site.StatusCode);
        }
        await _stack.StartAgainAsync(postgres);
        Assert.All(services, s => Assert.Equal(s.Value, _stack.ProcessIdOf(s.Key)));

        // The restart broke every connection the services' pools held, and a pool finds that out only by using
        // one. The first requests after it still work: tokens from the site, late joins that load the snapshot
        // (on both replicas), each at its first try.
        for (var i = 0; i < 4; i++)
        {
            await using var joiner = await BoardSocket.ConnectAsync(await token(), _stack.WebOrigin);
            await joiner.JoinAsync();
            Assert.Null(joiner.CloseStatus);
        }

        var head = await FinishAndAuditAsync(drawers, token, "kill -9 postgres");
        Assert.All(drawers, d => Assert.Equal(1, d.Connections)); // no socket was dropped by the outage
        Assert.True(await _stack.WaitForSnapshotAsync(boardId, atLeast: head) >= head);
    }

    [Fact]
    public async Task KillingTheRedisPrimaryOfABoardWhileItIsDrawnLosesNothingAcknowledgedAndDrawingGoesOn()
    {
        var (drawers, token, boardId) = await StartDrawingAsync();
        var primary = await _stack.PrimaryOfBoardAsync(boardId) ?? throw new InvalidOperationException("No primary holds the board's slot.");
        await _stack.KillAsync(primary);

        // Its replica takes over once the cluster sees the primary gone (the node timeout, 3 s), and drawing goes
        // on there — before the killed node is back, on the new primary's append-only file alone.
        for (var deadline = DateTime.UtcNow.AddSeconds(60); (await _stack.PrimaryOfBoardAsync(boardId) ?? primary) == primary; await Task.Delay(250))
        {
            Assert.True(DateTime.UtcNow < deadline, "no replica took over the board's slot");
        }

        // A node down, its slots served by its replica: the services are healthy (a load balancer keeps them).
        using (var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) })
        {
            using var replicaHealth = await http.GetAsync(new Uri(_stack.App.GetEndpoint("realtime", "http"), "/health"));
            Assert.Equal(System.Net.HttpStatusCode.OK, replicaHealth.StatusCode);
            using var siteHealth = await http.GetAsync(new Uri(_stack.WebUrl, "/health"));
            Assert.Equal(System.Net.HttpStatusCode.OK, siteHealth.StatusCode);
        }

        var atFailover = drawers.Sum(d => d.Acknowledged.Count);
        for (var deadline = DateTime.UtcNow.AddSeconds(60); drawers.Sum(d => d.Acknowledged.Count) < atFailover + 30; await Task.Delay(100))
        {
            Assert.True(DateTime.UtcNow < deadline, "drawing did not go on after the failover");
        }

        // Started again, the old primary comes back as the new one's replica, and acknowledgements wait for it again.
        await _stack.StartAgainAsync(primary);
        Assert.NotEqual(primary, await _stack.PrimaryOfBoardAsync(boardId));
        await FinishAndAuditAsync(drawers, token, "kill -9 of the board's Redis primary");
    }

    /// <summary>
    /// What WAIT is for: an operation the board's replica does not hold is not acknowledged. The replica hangs
    /// (SIGSTOP, and its link to the primary is cut, so nothing reaches even its socket's buffer): the operation
    /// is stored on the primary but refused with 1013 once the replica has not confirmed it in time (1 s here). Resumed,
    /// the replica catches up, and the resend is acknowledged (as the duplicate it is). Acknowledged on the
    /// primary's append-only file alone, it would have been acknowledged at once — and lost had the primary died.
    /// </summary>
    [Fact]
    public async Task AnOperationIsNotAcknowledgedUntilTheBoardsReplicaHoldsIt()
    {
        using var ada = await _stack.RegisterAsync();
        var boardId = await ada.CreateBoardAsync();
        await using var socket = await BoardSocket.ConnectAsync(await ada.GetRealtimeTokenAsync(boardId), _stack.WebOrigin);
        await socket.JoinAsync();
        var primary = await _stack.PrimaryOfBoardAsync(boardId) ?? throw new InvalidOperationException("No primary holds the board's slot.");
        var replica = await _stack.ReplicaOfAsync(primary);
        var before = await socket.SendOpAsync(Ops.AddPen("before-the-hang", 1, 1));
        await socket.WaitForAsync(m => BoardSocket.Type(m) == "ack" && (long?)m["n"] == before);

        long n;
        await using (await _stack.HangAsync(replica, primary))
        {
            n = await socket.SendOpAsync(Ops.AddPen("while-the-replica-hangs", 2, 2));
            Assert.Equal((System.Net.WebSockets.WebSocketCloseStatus)1013, await socket.WaitForCloseAsync(TimeSpan.FromSeconds(15)));
            Assert.DoesNotContain(socket.Received, m => BoardSocket.Type(m) == "ack" && (long?)m["n"] == n);
        }

        // The same page, reconnected, resends what was not acknowledged: it was stored, and is acknowledged now.
        await using var again = await BoardSocket.ConnectAsync(await ada.GetRealtimeTokenAsync(boardId), _stack.WebOrigin, socket.ClientId);
        await again.JoinAsync();
        await again.SendOpAsync(n, Ops.AddPen("while-the-replica-hangs", 2, 2));
        // Acknowledged at its place in the board's sequence (the one it was stored at during the hang), whether as
        // its first acknowledgement or as a duplicate's.
        var ack = await again.WaitForAsync(m => BoardSocket.Type(m) == "ack" && (long?)m["n"] == n, TimeSpan.FromSeconds(30));
        Assert.True((long?)ack["seq"] > 0, $"expected the resend to be found stored: {ack.ToJsonString()}");
    }

    [Fact]
    public async Task ARealtimeReplicaKilledDuringItsStartUpComesUpWhenStartedAgain()
    {
        for (var deadline = DateTime.UtcNow.AddSeconds(30); _stack.InstancesOf("realtime").Count < 2 && DateTime.UtcNow < deadline;)
        {
            await Task.Delay(100); // the fixture learns the instances from the app's resource notifications
        }

        var replica = _stack.InstancesOf("realtime")[0];
        var first = await _stack.KillAsync(replica);

        // Started again, and killed again as soon as its process exists: before it is healthy, mid start-up.
        var starting = _stack.StartAgainAsync(replica);
        var killedDuringStart = 0;
        for (var deadline = DateTime.UtcNow.AddSeconds(60); killedDuringStart == 0 && DateTime.UtcNow < deadline; await Task.Delay(20))
        {
            try
            {
                // The service's own process (DCP starts it under a `dotnet run` wrapper), once it exists.
                if (_stack.ProcessIdOf(replica) is var pid && pid != first && !starting.IsCompleted
                    && ProcessTree.CommandLine(pid).Contains("SharedCanvas.Realtime", StringComparison.Ordinal))
                {
                    using var process = System.Diagnostics.Process.GetProcessById(pid);
                    process.Kill();
                    killedDuringStart = pid;
                }
            }
            catch (Exception ex) when (ex is InvalidOperationException or ArgumentException)
            {
                // Not running yet (no PID known), or already gone.
            }
        }

        Assert.NotEqual(0, killedDuringStart);
        await _stack.WaitStoppedAsync(replica);

        await _stack.StartAgainAsync(replica);
        await starting.ContinueWith(_ => { }, TaskScheduler.Default); // the first start's wait ends with this one
        await _stack.AssertAStrokeReachesAnotherSocketAsync("after-the-start-up-crash");
    }
}
