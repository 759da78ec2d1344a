using Microsoft.EntityFrameworkCore;
using SharedCanvas.Testing;

namespace SharedCanvas.IntegrationTests;

/// <summary>
/// On <c>Database:Provider=postgres</c> the stack's data is on the PostgreSQL server and nowhere else: no
/// SQLite file appears in the data directory, and accounts, boards and snapshots are rows of its databases.
/// </summary>
[Collection(PostgreSqlCollection.Name)]
public sealed class PostgreSqlTopologyTests(PostgreSqlStackFixture stack)
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
/// Faults on the PostgreSQL topology. kill -9 of the server while three people draw and the savers fold their
/// board every second: drawing goes on (appends need only Redis), nothing acknowledged is lost, and once the
/// server is back the saver stores a snapshot of everything. kill -9 of a realtime replica in its start-up:
/// started again, it comes up.
/// </summary>
[Collection(PostgreSqlCollection.Name)]
public sealed class PostgreSqlFaultTests(PostgreSqlStackFixture stack, ITestOutputHelper output) : FaultScenarios(stack, output)
{
    private readonly PostgreSqlStackFixture _stack = stack;

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
        await _stack.StartAgainAsync(postgres);
        Assert.All(services, s => Assert.Equal(s.Value, _stack.ProcessIdOf(s.Key)));

        var head = await FinishAndAuditAsync(drawers, token, "kill -9 postgres");
        Assert.All(drawers, d => Assert.Equal(1, d.Connections)); // no socket was dropped by the outage
        Assert.True(await _stack.WaitForSnapshotAsync(boardId, atLeast: head) >= head);
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
