using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Xunit;

namespace SharedCanvas.Testing;

/// <summary>
/// The whole SharedCanvas stack (Redis, web, realtime, and PostgreSQL where chosen), started once per fixture with
/// Aspire.Hosting.Testing on a fresh data directory. Redis is the machine's redis-server, run as an
/// executable resource, so that fault tests can kill and restart it.
/// </summary>
public class StackFixture : IAsyncLifetime
{
    private static readonly TimeSpan BuildTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(120);

    private DistributedApplication? _app;

    public DistributedApplication App => _app ?? throw new InvalidOperationException("The stack has not started.");

    public string DataDirectory { get; } = Directory.CreateTempSubdirectory("sharedcanvas-test-").FullName;

    /// <summary>The site's address, as a browser opens it.</summary>
    public Uri WebUrl => App.GetEndpoint("web", "http");

    /// <summary>The site's origin (scheme, host and port), as browsers send it in <c>Origin</c>.</summary>
    public string WebOrigin => WebUrl.GetLeftPart(UriPartial.Authority);

    /// <summary>Two, as the AppHost runs by default: sockets land on either replica and fan-out crosses Redis.</summary>
    protected virtual int RealtimeReplicas => 2;

    protected virtual bool EnableDashboard => false;

    /// <summary>
    /// <c>sqlite</c> (files in the data directory, the default) or <c>postgres</c>: the machine's PostgreSQL
    /// server as an executable resource (Debian's postgresql package), on the same data directory.
    /// </summary>
    protected virtual string DatabaseProvider => "sqlite";

    /// <summary>
    /// <c>standalone</c> (one redis-server, the default) or <c>cluster</c>: a local Redis Cluster of three
    /// primaries with a replica each, six redis-server executables (<c>redis-0</c> … <c>redis-5</c>).
    /// </summary>
    protected virtual string RedisTopology => "standalone";

    /// <summary>
    /// False for the stacks most tests share: they register many accounts from one address within
    /// minutes and draw thousands of operations a second, so the site's and the realtime service's rate
    /// limits are lifted there. The security tests run with the limits the product ships with.
    /// </summary>
    protected virtual bool ShippedRateLimits => false;

    /// <summary>Settings a test class needs beyond the defaults (environment of a resource, say).</summary>
    protected virtual void Configure(IDistributedApplicationTestingBuilder builder)
    {
    }

    public virtual Task InitializeAsync() => InitializeStackAsync();

    private async Task InitializeStackAsync(Func<DistributedApplication, Task>? whileStarting = null)
    {
        using var build = new CancellationTokenSource(BuildTimeout);
        string[] args =
        [
            $"--SharedCanvas:DataDirectory={DataDirectory}",
            $"--SharedCanvas:RealtimeReplicas={RealtimeReplicas}",
            "--Redis:Mode=executable",
            $"--Database:Provider={DatabaseProvider}",
            "--PostgreSql:Mode=executable",
            $"--Redis:Topology={RedisTopology}",
        ];
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.SharedCanvas_AppHost>(
            args,
            (options, _) => options.DisableDashboard = !EnableDashboard,
            build.Token);
        // The services' own logs stay in the dashboard's and the resource's logs; the test output shows
        // only their warnings and errors.
        builder.Services.AddLogging(logging => logging
            .AddFilter("SharedCanvas.AppHost.Resources", LogLevel.Warning)
            // The AppHost's probes fail while a test has killed a resource on purpose.
            .AddFilter("Microsoft.Extensions.Diagnostics.HealthChecks", LogLevel.Critical));
        if (!EnableDashboard)
        {
            // Without a dashboard nothing receives telemetry: the services would spend their shutdown
            // retrying an export to an endpoint nobody listens on (and stop slower than Aspire waits).
            foreach (var project in builder.Resources.OfType<ProjectResource>())
            {
                builder.CreateResourceBuilder(project).WithEnvironment(context =>
                {
                    context.EnvironmentVariables.Remove("OTEL_EXPORTER_OTLP_ENDPOINT");
                    context.EnvironmentVariables.Remove("OTEL_EXPORTER_OTLP_PROTOCOL");
                });
            }
        }

        if (!ShippedRateLimits)
        {
            // Durability and fault tests drive clients far faster than people draw, on purpose.
            foreach (var limit in new[] { "SignInsPerMinute", "RegistrationsPerHour", "TokenRequestsPerMinute", "RealtimeTokensPerMinute", "FailedSignInsPerAccount", "FailedSignInsPerDevice" })
            {
                SetEnvironment(builder, "web", $"RateLimits__{limit}", "1000000");
            }

            foreach (var limit in new[] { "MessagesPerSecond", "MessageBurst", "AddsPerSecond", "AddBurst", "UserMessagesPerSecond", "UserMessageBurst", "CursorsPerSecond", "CursorBurst" })
            {
                SetEnvironment(builder, "realtime", $"Realtime__{limit}", "100000");
            }
        }

        // The trash is emptied of boards past their 30 days every second, so a test can plant an old one and see it go.
        SetEnvironment(builder, "web", "Trash__PurgeInterval", "00:00:01");

        Configure(builder);

        _app = await builder.BuildAsync(build.Token);

        using var start = new CancellationTokenSource(StartTimeout);
        var beside = whileStarting?.Invoke(_app) ?? Task.CompletedTask;
        await _app.StartAsync(start.Token);
        await beside;
        var notifications = _app.Services.GetRequiredService<ResourceNotificationService>();
        // A cluster's "redis" is the step that forms it (and exits); the services wait for it.
        var resources = new[] { RedisTopology == "cluster" ? null : "redis", DatabaseProvider == "postgres" ? "postgres" : null, "web", "realtime" };
        foreach (var resource in resources.OfType<string>())
        {
            await notifications.WaitForResourceHealthyAsync(resource, WaitBehavior.StopOnResourceUnavailable, start.Token);
        }

        WatchResources();
    }

    /// <summary>
    /// The site's database as the services see it (the SQLite file, or the database on the PostgreSQL
    /// server), for a test that must change what no API changes (a date in the past, say).
    /// </summary>
    public async Task<SharedCanvas.Web.Data.WebDbContext> OpenWebDatabaseAsync()
    {
        if (DatabaseProvider != "postgres")
        {
            return new(new Microsoft.EntityFrameworkCore.DbContextOptionsBuilder<SharedCanvas.Web.Data.WebDbContext>()
                .UseSqlite($"Data Source={Path.Combine(DataDirectory, "web.db")};Pooling=false").Options);
        }

        var server = await App.GetConnectionStringAsync("postgres");
        return new SharedCanvas.Web.Data.PostgreSqlWebDbContext(new Microsoft.EntityFrameworkCore.DbContextOptionsBuilder<SharedCanvas.Web.Data.PostgreSqlWebDbContext>()
            .UseNpgsql($"{server};Database=sharedcanvas_web;Pooling=false").Options);
    }

    public ResourceNotificationService Notifications => App.Services.GetRequiredService<ResourceNotificationService>();

    /// <summary>The instances of a resource (one per replica), by their resource ids.</summary>
    public IReadOnlyList<string> InstancesOf(string resourceName) =>
        [.. _latest.Values.Where(e => e.Resource.Name == resourceName).Select(e => e.ResourceId).Order()];

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, ResourceEvent> _latest = new();

    /// <summary>What the services' instances printed lately, for a failing test's message.</summary>
    public ResourceLogs Logs { get; private set; } = new();
    private CancellationTokenSource? _watching;

    /// <summary>Keeps the newest state of every resource instance (ids, PIDs), as the dashboard does.</summary>
    private void WatchResources()
    {
        _watching = new CancellationTokenSource();
        var token = _watching.Token;
        var notifications = Notifications;
        var logs = App.Services.GetRequiredService<ResourceLoggerService>();
        _ = Task.Run(async () =>
        {
            try
            {
                await foreach (var resourceEvent in notifications.WatchAsync(token))
                {
                    _latest[resourceEvent.ResourceId] = resourceEvent;
                    if (resourceEvent.Resource is ProjectResource)
                    {
                        Logs.Watch(logs, resourceEvent.ResourceId, token);
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
        }, token);
    }

    /// <summary>
    /// Kills one instance of a resource with SIGKILL, as a crash would: for a project the application
    /// process itself (DCP runs it under a <c>dotnet run</c> wrapper), for an executable the process.
    /// Returns the PID killed.
    /// </summary>
    public async Task<int> KillAsync(string resourceId)
    {
        var target = ProcessIdOf(resourceId);
        using (var process = System.Diagnostics.Process.GetProcessById(target))
        {
            process.Kill();
        }

        await WaitStoppedAsync(resourceId);
        return target;
    }

    /// <summary>Waits until an instance of a resource is in a terminal state (exited, finished, failed to start).</summary>
    public async Task WaitStoppedAsync(string resourceId)
    {
        var name = _latest.TryGetValue(resourceId, out var state) ? state.Resource.Name : resourceId;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await Notifications.WaitForResourceAsync(name,
            e => e.ResourceId == resourceId && KnownResourceStates.TerminalStates.Contains(e.Snapshot.State?.Text),
            timeout.Token);
    }

    /// <summary>
    /// The process of one instance of a resource: for a project the application process itself (DCP runs it
    /// under a <c>dotnet run</c> wrapper), for an executable the process.
    /// </summary>
    public int ProcessIdOf(string resourceId)
    {
        if (!_latest.TryGetValue(resourceId, out var state)
            || state.Snapshot.Properties.FirstOrDefault(p => p.Name == "executable.pid")?.Value is not { } value)
        {
            throw new InvalidOperationException($"No process is known for {resourceId}.");
        }

        var pid = Convert.ToInt32(value, System.Globalization.CultureInfo.InvariantCulture);
        return state.Resource is ProjectResource
            ? ProcessTree.Descendants(pid).FirstOrDefault(p => ProcessTree.CommandLine(p).Contains("SharedCanvas.", StringComparison.Ordinal), pid)
            : pid;
    }

    /// <summary>Starts a stopped instance again (Aspire's "start" command) and waits until it is healthy.</summary>
    public async Task StartAgainAsync(string resourceId)
    {
        var commands = App.Services.GetRequiredService<ResourceCommandService>();
        using var timeout = new CancellationTokenSource(StartTimeout);
        var since = DateTime.UtcNow;
        var result = await commands.ExecuteCommandAsync(resourceId, KnownResourceCommands.StartCommand, timeout.Token);
        if (!result.Success)
        {
            throw new InvalidOperationException($"Starting {resourceId} failed: {result.Message}");
        }

        await WaitHealthyAsync(resourceId, since, timeout.Token);
    }

    /// <summary>Restarts an instance gracefully (Aspire's "restart" command) and waits until it is healthy.</summary>
    public async Task RestartAsync(string resourceId)
    {
        var commands = App.Services.GetRequiredService<ResourceCommandService>();
        using var timeout = new CancellationTokenSource(StartTimeout);
        var since = DateTime.UtcNow;
        var result = await commands.ExecuteCommandAsync(resourceId, KnownResourceCommands.RestartCommand, timeout.Token);
        if (!result.Success)
        {
            throw new InvalidOperationException($"Restarting {resourceId} failed: {result.Message}");
        }

        await WaitHealthyAsync(resourceId, since, timeout.Token);
    }

    /// <summary>
    /// Waits until an instance runs and every health check has passed <em>since</em> <paramref name="since"/>: a
    /// snapshot can still carry the health its previous process reported, and a test that believed it would
    /// talk to a replica that is not listening yet.
    /// </summary>
    private async Task WaitHealthyAsync(string resourceId, DateTime since, CancellationToken cancellationToken)
    {
        var name = _latest.TryGetValue(resourceId, out var state) ? state.Resource.Name : resourceId;
        await Notifications.WaitForResourceAsync(name,
            e => e.ResourceId == resourceId && e.Snapshot.State?.Text == KnownResourceStates.Running
                && e.Snapshot.HealthStatus == Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy
                && e.Snapshot.HealthReports.All(r => r.LastRunAt >= since),
            cancellationToken);
    }

    /// <summary>Stops the whole stack gracefully and starts it again on the same data directory.</summary>
    public async Task RestartStackAsync()
    {
        await StopStackAsync();
        await InitializeStackAsync();
    }

    /// <summary>Stops the whole stack (as far as it started), keeping its data directory.</summary>
    public async Task StopStackAsync()
    {
        _watching?.Cancel();
        _latest.Clear();
        Logs = new();
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }

        _app = null;
    }

    /// <summary>
    /// Starts the stack again on the same data directory, as a person would after a crash, with
    /// <paramref name="whileStarting"/> running beside the start (to kill something during it, say).
    /// </summary>
    public async Task StartStackAsync(Func<DistributedApplication, Task>? whileStarting = null) =>
        await InitializeStackAsync(whileStarting);

    /// <summary>Sets an environment variable of one resource before the stack starts.</summary>
    protected static void SetEnvironment(IDistributedApplicationTestingBuilder builder, string resourceName, string name, string value)
    {
        var resource = builder.Resources.OfType<IResourceWithEnvironment>().Single(r => r.Name == resourceName);
        builder.CreateResourceBuilder(resource).WithEnvironment(name, value);
    }

    public virtual async Task DisposeAsync()
    {
        _watching?.Cancel();
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }

        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>A new account, registered and signed in through the site's pages.</summary>
    public Task<SiteClient> RegisterAsync(string? userName = null) =>
        SiteClient.RegisterAsync(WebUrl, userName ?? Names.NewUserName(), Names.Password);

    /// <summary>A new person with a new board of their own and a realtime token for it.</summary>
    public async Task<(SiteClient Person, string BoardId, RealtimeToken Token)> RegisterWithBoardAsync()
    {
        var person = await RegisterAsync();
        var boardId = await person.CreateBoardAsync();
        return (person, boardId, await person.GetRealtimeTokenAsync(boardId));
    }

    /// <summary>
    /// The stack works end to end: someone new signs up, creates a board and draws on it through one socket,
    /// and a second socket sees the stroke (after a crash, say).
    /// </summary>
    public async Task AssertAStrokeReachesAnotherSocketAsync(string elementId)
    {
        try
        {
            await StrokeReachesAnotherSocketAsync(elementId);
        }
        catch (Exception ex)
        {
            await Task.Delay(TimeSpan.FromSeconds(2)); // the lines reach the AppHost a moment after they are printed
            throw new Xunit.Sdk.XunitException($"{ex.Message}\nWhat the realtime replicas printed:\n{Logs.Tail("realtime")}", ex);
        }
    }

    private async Task StrokeReachesAnotherSocketAsync(string elementId)
    {
        using var person = await RegisterAsync();
        var board = await person.CreateBoardAsync();
        await using var drawer = await BoardSocket.ConnectAsync(await person.GetRealtimeTokenAsync(board), WebOrigin);
        await using var watcher = await BoardSocket.ConnectAsync(await person.GetRealtimeTokenAsync(board), WebOrigin);
        await drawer.JoinAsync();
        await watcher.JoinAsync();
        await drawer.SendOpAsync(Ops.AddPen(elementId, 1, 1));
        await watcher.WaitForAsync(m => BoardSocket.Type(m) == "op" && (string?)m["op"]?["el"]?["id"] == elementId);
        Assert.Null(drawer.CloseStatus);
    }
}

/// <summary>Unique names for accounts and boards, so tests sharing a stack never collide.</summary>
public static class Names
{
    public const string Password = "correct horse battery staple";

    public static string NewUserName() => "user-" + Guid.NewGuid().ToString("N")[..12];

    public static string NewBoardName() => "board " + Guid.NewGuid().ToString("N")[..8];
}
