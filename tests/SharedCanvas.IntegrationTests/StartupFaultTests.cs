using System.Net.WebSockets;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace SharedCanvas.IntegrationTests;

/// <summary>
/// Any process may die at any moment, start-up included, and the next start must just work, without anyone
/// editing files or databases (issue 14): a database migration killed half-way, the lock it held left behind.
/// A stack of their own, stopped and started again on the same data directory.
/// </summary>
[Collection(IsolatedCollection.Name)]
public sealed class StartupFaultTests(StartupFaultTests.Fixture stack, ITestOutputHelper output) : IClassFixture<StartupFaultTests.Fixture>
{
    public sealed class Fixture : StackFixture
    {
        protected override int RealtimeReplicas => 2;
    }

    private static readonly TimeSpan StartLimit = TimeSpan.FromSeconds(90);

    /// <summary>Someone can still sign up, create a board and draw on it, and a second socket sees it.</summary>
    private Task AssertTheStackWorksAsync() => stack.AssertAStrokeReachesAnotherSocketAsync("after-the-crash");

    [Fact]
    public async Task AMigrationLockLeftByAKilledProcessDoesNotStopTheNextStart()
    {
        await AssertTheStackWorksAsync();
        await stack.StopStackAsync();

        // What a process killed while it migrated leaves: EF Core's lock row, in both databases.
        foreach (var file in new[] { "web.db", "realtime.db" })
        {
            await using var db = new SqliteConnection($"Data Source={Path.Combine(stack.DataDirectory, file)};Pooling=false");
            await db.OpenAsync();
            await using var command = db.CreateCommand();
            command.CommandText = """
                CREATE TABLE IF NOT EXISTS "__EFMigrationsLock" ("Id" INTEGER NOT NULL CONSTRAINT "PK___EFMigrationsLock" PRIMARY KEY, "Timestamp" TEXT NOT NULL);
                INSERT OR REPLACE INTO "__EFMigrationsLock" ("Id", "Timestamp") VALUES (1, '2026-12-01 08:00:00');
                """;
            await command.ExecuteNonQueryAsync();
        }

        await stack.StartStackAsync().WaitAsync(StartLimit);
        await AssertTheStackWorksAsync();
    }

    [Fact]
    public async Task TheMigrationKilledDuringStartUpLeavesNothingThatStopsTheNextStart()
    {
        await stack.StopStackAsync();
        // A first start with everything to migrate, so that the kill finds the migration at work.
        foreach (var file in Directory.EnumerateFiles(stack.DataDirectory, "*.db*"))
        {
            File.Delete(file);
        }

        var killed = 0;
        try
        {
            await stack.StartStackAsync(app => KillTheMigrationAsSoonAsItRunsAsync(app, what =>
            {
                killed++;
                output.WriteLine($"killed {what}");
            })).WaitAsync(StartLimit);
            output.WriteLine("the stack came up all the same");
        }
        catch (Exception ex) when (ex is not TimeoutException)
        {
            // The start fails once the step it waits for died; that is the point.
            output.WriteLine($"the start failed as it should: {ex.GetType().Name}: {ex.Message}");
        }

        Assert.Equal(1, killed);
        await stack.StopStackAsync();

        await stack.StartStackAsync().WaitAsync(StartLimit);
        await AssertTheStackWorksAsync();
    }

    private static async Task KillTheMigrationAsSoonAsItRunsAsync(DistributedApplication app, Action<string> onKilled)
    {
        var notifications = app.Services.GetRequiredService<ResourceNotificationService>();
        using var timeout = new CancellationTokenSource(StartLimit);
        await foreach (var update in notifications.WatchAsync(timeout.Token))
        {
            if (update.Resource.Name == "migrations" && KnownResourceStates.TerminalStates.Contains(update.Snapshot.State?.Text))
            {
                return; // finished before it could be killed: the test then says so
            }

            if (update.Resource.Name == "migrations" && update.Snapshot.State?.Text == KnownResourceStates.Running
                && update.Snapshot.Properties.FirstOrDefault(p => p.Name == "executable.pid")?.Value is { } value
                && Convert.ToInt32(value, System.Globalization.CultureInfo.InvariantCulture) is > 1 and var pid)
            {
                // DCP runs the project under a `dotnet run` wrapper: kill the migrator itself, as a crash would,
                // as soon as it exists.
                while (!timeout.IsCancellationRequested)
                {
                    if (ProcessTree.Descendants(pid).FirstOrDefault(p => ProcessTree.CommandLine(p).Contains("SharedCanvas.MigrationService", StringComparison.Ordinal)) is > 0 and var target)
                    {
                        var commandLine = ProcessTree.CommandLine(target);
                        using var process = System.Diagnostics.Process.GetProcessById(target);
                        process.Kill();
                        onKilled($"{target}: {commandLine}");
                        return;
                    }

                    await Task.Delay(5, timeout.Token);
                }

            }
        }
    }
}
