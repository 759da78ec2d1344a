using Microsoft.Playwright;

namespace SharedCanvas.BrowserTests;

/// <summary>
/// The stack plus Debian's Chromium, driven by Playwright. Browser downloads do not work on our machines,
/// so the fixture points Playwright at <c>/usr/bin/chromium</c> (or <c>CHROMIUM_PATH</c>).
/// </summary>
public class BrowserStackFixture : StackFixture
{
    private IPlaywright? _playwright;

    public IBrowser Browser { get; private set; } = null!;

    private readonly List<IBrowserContext> _contexts = [];

    /// <summary>On, as a developer runs the stack: the trace test reads it and photographs it.</summary>
    protected override bool EnableDashboard => true;

    public static string ChromiumPath =>
        Environment.GetEnvironmentVariable("CHROMIUM_PATH") is { Length: > 0 } path ? path : "/usr/bin/chromium";

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args =
            [
                "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
            ],
        });
    }

    public override async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.CloseAsync();
        }

        _playwright?.Dispose();
        await base.DisposeAsync();
    }

    /// <summary>A fresh browser profile (its own cookies), as a separate person would have.</summary>
    public async Task<IPage> NewPersonAsync()
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = WebUrl.ToString(),
            ViewportSize = new ViewportSize { Width = 1200, Height = 800 },
        });
        context.SetDefaultTimeout(15_000);
        lock (_contexts)
        {
            _contexts.Add(context);
        }

        return await context.NewPageAsync();
    }

    /// <summary>Closes every browser profile opened so far (their sockets close too).</summary>
    public async Task ClosePeopleAsync()
    {
        IBrowserContext[] contexts;
        lock (_contexts)
        {
            contexts = [.. _contexts];
            _contexts.Clear();
        }

        foreach (var context in contexts)
        {
            await context.CloseAsync();
        }
    }
}
