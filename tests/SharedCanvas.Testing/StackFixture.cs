using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Xunit;

namespace SharedCanvas.Testing;

/// <summary>
/// The whole SharedCanvas stack (Redis, web, realtime), started once per fixture with
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

    protected virtual int RealtimeReplicas => 1;

    protected virtual bool EnableDashboard => false;

    /// <summary>Settings a test class needs beyond the defaults (environment of a resource, say).</summary>
    protected virtual void Configure(IDistributedApplicationTestingBuilder builder)
    {
    }

    public virtual async Task InitializeAsync()
    {
        using var build = new CancellationTokenSource(BuildTimeout);
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.SharedCanvas_AppHost>(
            [
                $"--SharedCanvas:DataDirectory={DataDirectory}",
                $"--SharedCanvas:RealtimeReplicas={RealtimeReplicas}",
                "--Redis:Mode=executable",
            ],
            (options, _) => options.DisableDashboard = !EnableDashboard,
            build.Token);
        // The services' own logs stay in the dashboard's and the resource's logs; the test output shows
        // only their warnings and errors.
        builder.Services.AddLogging(logging => logging.AddFilter("SharedCanvas.AppHost.Resources", LogLevel.Warning));
        Configure(builder);

        _app = await builder.BuildAsync(build.Token);

        using var start = new CancellationTokenSource(StartTimeout);
        await _app.StartAsync(start.Token);
        var notifications = _app.Services.GetRequiredService<ResourceNotificationService>();
        foreach (var resource in new[] { "redis", "web", "realtime" })
        {
            await notifications.WaitForResourceHealthyAsync(resource, WaitBehavior.StopOnResourceUnavailable, start.Token);
        }
    }

    /// <summary>Sets an environment variable of one resource before the stack starts.</summary>
    protected static void SetEnvironment(IDistributedApplicationTestingBuilder builder, string resourceName, string name, string value)
    {
        var resource = builder.Resources.OfType<IResourceWithEnvironment>().Single(r => r.Name == resourceName);
        builder.CreateResourceBuilder(resource).WithEnvironment(name, value);
    }

    public virtual async Task DisposeAsync()
    {
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
}

/// <summary>Unique names for accounts and boards, so tests sharing a stack never collide.</summary>
public static class Names
{
    public const string Password = "correct horse battery staple";

    public static string NewUserName() => "user-" + Guid.NewGuid().ToString("N")[..12];

    public static string NewBoardName() => "board " + Guid.NewGuid().ToString("N")[..8];
}
