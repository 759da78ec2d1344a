using System.Net.WebSockets;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace SharedCanvas.IntegrationTests;

/// <summary>
/// Any process may die at any moment, start-up included, and the next start must just work, without anyone
/// editing files or databases (issue 14): a database migration killed half-way, on each engine. A stack of
/// their own, stopped and started again on the same data directory.
/// </summary>
public abstract class StartupFaultScenarios(StackFixture stack, ITestOutputHelper output)
{
    protected static readonly TimeSpan StartLimit = TimeSpan.FromSeconds(90);

    /// <summary>Someone can still sign up, create a board and draw on it, and a second socket sees it.</summary>
    protected Task AssertTheStackWorksAsync() => stack.AssertAStrokeReachesAnotherSocketAsync("after-the-crash");

    /// <summary>Removes the stack's databases (the stack stopped), so that its next start has everything to create and migrate.</summary>
    protected abstract void ForgetTheDatabases();

    [Fact]
    public async Task TheMigrationKilledDuringStartUpLeavesNothingThatStopsTheNextStart()
    {
        await stack.StopStackAsync();
        // A first start with everything to migrate, so that the kill finds the migration at work.
        ForgetTheDatabases();
        Assert.Equal(1, await StartWhileKillingAsync(KillTheMigrationAsSoonAsItRunsAsync));
        await stack.StopStackAsync();

        await stack.StartStackAsync().WaitAsync(StartLimit);
        await AssertTheStackWorksAsync();
    }

    /// <summary>
    /// Starts the stack while <paramref name="kill"/> kills something in its start; returns how many kills it
    /// made. That start may fail, or wait for the dead part (as the AppHost waits for a server that someone may
    /// start again from the dashboard) until <paramref name="limit"/>; the next start is what must work.
    /// </summary>
    protected async Task<int> StartWhileKillingAsync(Func<DistributedApplication, Action<string>, Task> kill, TimeSpan? limit = null)
    {
        var killed = 0;
        try
        {
            await stack.StartStackAsync(app => kill(app, what =>
            {
                killed++;
                output.WriteLine($"killed {what}");
            })).WaitAsync(limit ?? StartLimit);
            output.WriteLine("the stack came up all the same");
        }
        catch (TimeoutException) when (killed > 0 && limit is not null)
        {
            output.WriteLine($"the start was still waiting for what was killed after {limit}");
        }
        catch (Exception ex) when (ex is not TimeoutException)
        {
            // The start fails once the step it waits for died; that is the point.
            output.WriteLine($"the start failed as it should: {ex.GetType().Name}: {ex.Message}");
        }

        return killed;
    }

    /// <summary>Kills the migrator itself (DCP runs the project under a `dotnet run` wrapper) as soon as it exists, as a crash would.</summary>
    protected static Task KillTheMigrationAsSoonAsItRunsAsync(DistributedApplication app, Action<string> onKilled) =>
        KillAsSoonAsItRunsAsync(app, "migrations", "SharedCanvas.MigrationService", wholeTree: false, onKilled);

    /// <summary>
    /// Watches a resource's start; as soon as a process under it (or it) whose command line holds
    /// <paramref name="commandLinePart"/> exists, kills it — with <paramref name="wholeTree"/>, the resource's
    /// process and everything under it — and reports what it killed. Returns without a kill if the resource
    /// finished first (the test then says so).
    /// </summary>
    protected static async Task KillAsSoonAsItRunsAsync(DistributedApplication app, string resourceName, string commandLinePart, bool wholeTree, Action<string> onKilled)
    {
        var notifications = app.Services.GetRequiredService<ResourceNotificationService>();
        using var timeout = new CancellationTokenSource(StartLimit);
        await foreach (var update in notifications.WatchAsync(timeout.Token))
        {
            if (update.Resource.Name != resourceName)
            {
                continue;
            }

            if (KnownResourceStates.TerminalStates.Contains(update.Snapshot.State?.Text))
            {
                return;
            }

            if (update.Snapshot.State?.Text == KnownResourceStates.Running
                && update.Snapshot.Properties.FirstOrDefault(p => p.Name == "executable.pid")?.Value is { } value
                && Convert.ToInt32(value, System.Globalization.CultureInfo.InvariantCulture) is > 1 and var pid)
            {
                while (!timeout.IsCancellationRequested)
                {
                    if (ProcessTree.Descendants(pid).FirstOrDefault(p => ProcessTree.CommandLine(p).Contains(commandLinePart, StringComparison.Ordinal)) is > 0 and var target)
                    {
                        var commandLine = ProcessTree.CommandLine(target);
                        foreach (var victim in wholeTree ? ProcessTree.Descendants(pid).Prepend(pid).ToList() : [target])
                        {
                            try
                            {
                                using var process = System.Diagnostics.Process.GetProcessById(victim);
                                process.Kill();
                            }
                            catch (ArgumentException)
                            {
                                // Gone already.
                            }
                        }

                        onKilled(wholeTree ? $"{resourceName} ({pid}) and all under it, while {target} ran: {commandLine}" : $"{target}: {commandLine}");
                        return;
                    }

                    await Task.Delay(5, timeout.Token);
                }
            }
        }
    }
}

/// <summary>The start-up faults on SQLite, and the lock row EF Core's SQLite migrator leaves when killed.</summary>
[Collection(IsolatedCollection.Name)]
public sealed class StartupFaultTests(StartupFaultTests.Fixture stack, ITestOutputHelper output)
    : StartupFaultScenarios(stack, output), IClassFixture<StartupFaultTests.Fixture>
{
    private readonly Fixture _stack = stack;

    public sealed class Fixture : StackFixture
    {
        protected override int RealtimeReplicas => 2;
    }

    protected override void ForgetTheDatabases()
    {
        foreach (var file in Directory.EnumerateFiles(_stack.DataDirectory, "*.db*"))
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task AMigrationLockLeftByAKilledProcessDoesNotStopTheNextStart()
    {
        await AssertTheStackWorksAsync();
        await _stack.StopStackAsync();

        // What a process killed while it migrated leaves: EF Core's lock row, in both databases.
        foreach (var file in new[] { "web.db", "realtime.db" })
        {
            await using var db = new SqliteConnection($"Data Source={Path.Combine(_stack.DataDirectory, file)};Pooling=false");
            await db.OpenAsync();
            await using var command = db.CreateCommand();
            command.CommandText = """
                CREATE TABLE IF NOT EXISTS "__EFMigrationsLock" ("Id" INTEGER NOT NULL CONSTRAINT "PK___EFMigrationsLock" PRIMARY KEY, "Timestamp" TEXT NOT NULL);
                INSERT OR REPLACE INTO "__EFMigrationsLock" ("Id", "Timestamp") VALUES (1, '2026-12-01 08:00:00');
                """;
            await command.ExecuteNonQueryAsync();
        }

        await _stack.StartStackAsync().WaitAsync(StartLimit);
        await AssertTheStackWorksAsync();
    }
}

/// <summary>
/// The start-up faults on PostgreSQL: the migration step killed mid-migration, and the server itself killed
/// while it creates its cluster on first start (initdb). Neither leaves anything that stops the next start.
/// </summary>
[Collection(IsolatedCollection.Name)]
public sealed class StartupFaultOnPostgreSqlTests(StartupFaultOnPostgreSqlTests.Fixture stack, ITestOutputHelper output)
    : StartupFaultScenarios(stack, output), IClassFixture<StartupFaultOnPostgreSqlTests.Fixture>
{
    private readonly Fixture _stack = stack;

    public sealed class Fixture : StackFixture
    {
        protected override string DatabaseProvider => "postgres";
    }

    protected override void ForgetTheDatabases() =>
        Directory.Delete(Path.Combine(_stack.DataDirectory, "postgres"), recursive: true);

    [Fact]
    public async Task TheServerKilledWhileItCreatesItsClusterLeavesNothingThatStopsTheNextStart()
    {
        await _stack.StopStackAsync();
        ForgetTheDatabases();
        Assert.Equal(1, await StartWhileKillingAsync(KillTheServerDuringInitdbAsync, limit: TimeSpan.FromSeconds(30)));
        Assert.False(File.Exists(Path.Combine(_stack.DataDirectory, "postgres", "data", "PG_VERSION")), "the cluster was whole before the kill");
        await _stack.StopStackAsync();

        await _stack.StartStackAsync().WaitAsync(StartLimit);
        await AssertTheStackWorksAsync();
    }

    /// <summary>Kills the server's start script and everything under it while initdb runs, as a crash would.</summary>
    private static Task KillTheServerDuringInitdbAsync(DistributedApplication app, Action<string> onKilled) =>
        KillAsSoonAsItRunsAsync(app, "postgres", "initdb", wholeTree: true, onKilled);
}
