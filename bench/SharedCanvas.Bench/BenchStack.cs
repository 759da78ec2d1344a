using SharedCanvas.Testing;

namespace SharedCanvas.Bench;

/// <summary>The stack under measurement: a running one (by its site's address), or one started here and stopped at the end.</summary>
internal sealed class BenchStack : IAsyncDisposable
{
    private readonly StackFixture? _owned;
    private readonly bool _dispose;

    private BenchStack(Uri site, StackFixture? owned, bool dispose = true)
    {
        Site = site;
        _owned = owned;
        _dispose = dispose;
    }

    /// <summary>A stack the caller started and stops (the test suite's smoke run).</summary>
    public static BenchStack Over(StackFixture stack) => new(stack.WebUrl, stack, dispose: false);

    public Uri Site { get; }

    public string Origin => Site.GetLeftPart(UriPartial.Authority);

    public static async Task<BenchStack> StartAsync(Uri? site, int replicas = 2, IReadOnlyList<string>? realtimeEnvironment = null)
    {
        if (site is not null)
        {
            return new BenchStack(site, null);
        }

        Console.Error.WriteLine($"starting a stack of our own with {replicas} realtime replica(s) (pass --site to measure a running one)…");
        var stack = new OwnStack(replicas, realtimeEnvironment ?? []);
        await stack.InitializeAsync();
        return new BenchStack(stack.WebUrl, stack);
    }

    /// <summary>The stack's processes: for a stack of our own exactly its own, else whatever runs on this machine.</summary>
    public ProcessSampler FindProcesses() => _owned is null
        ? ProcessSampler.Find()
        : ProcessSampler.For(
            [.. _owned.InstancesOf("realtime").Select(_owned.ProcessIdOf)],
            [.. _owned.InstancesOf("redis").Select(_owned.ProcessIdOf)]);

    /// <summary>
    /// Each realtime replica's own address (from its ASPNETCORE_URLS), so the load reaches the replicas the
    /// way it would behind a load balancer, rather than through Aspire's local development proxy.
    /// </summary>
    public IReadOnlyList<Uri> RealtimeUrls(ProcessSampler processes)
    {
        var urls = new List<Uri>();
        foreach (var pid in processes.Pids("realtime"))
        {
            try
            {
                var environment = File.ReadAllText($"/proc/{pid}/environ").Split('\0');
                var value = environment.FirstOrDefault(e => e.StartsWith("ASPNETCORE_URLS=", StringComparison.Ordinal))?["ASPNETCORE_URLS=".Length..];
                if (value?.Split(';').FirstOrDefault(u => u.StartsWith("http://", StringComparison.Ordinal)) is { } url)
                {
                    urls.Add(new Uri("ws" + url["http".Length..].Replace("://localhost:", "://127.0.0.1:", StringComparison.Ordinal)));
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
            }
        }

        return urls;
    }

    public async ValueTask DisposeAsync()
    {
        if (_owned is not null && _dispose)
        {
            await _owned.DisposeAsync();
        }
    }

    /// <summary>The test suite's stack (rate limits lifted, as a benchmark drives clients harder than people do), with a chosen number of replicas.</summary>
    private sealed class OwnStack(int replicas, IReadOnlyList<string> realtimeEnvironment) : StackFixture
    {
        protected override int RealtimeReplicas => replicas;

        protected override void Configure(Aspire.Hosting.Testing.IDistributedApplicationTestingBuilder builder)
        {
            foreach (var setting in realtimeEnvironment)
            {
                var at = setting.IndexOf('=', StringComparison.Ordinal);
                SetEnvironment(builder, "realtime", setting[..at], setting[(at + 1)..]);
            }
        }
    }
}
