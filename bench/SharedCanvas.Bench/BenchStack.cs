using SharedCanvas.Testing;

namespace SharedCanvas.Bench;

/// <summary>The stack under measurement: a running one (by its site's address), or one started here and stopped at the end.</summary>
internal sealed class BenchStack : IAsyncDisposable
{
    private readonly StackFixture? _owned;

    private BenchStack(Uri site, StackFixture? owned)
    {
        Site = site;
        _owned = owned;
    }

    public Uri Site { get; }

    public string Origin => Site.GetLeftPart(UriPartial.Authority);

    public static async Task<BenchStack> StartAsync(Uri? site)
    {
        if (site is not null)
        {
            return new BenchStack(site, null);
        }

        Console.Error.WriteLine("starting a stack of our own (pass --site to measure a running one)…");
        var stack = new StackFixture();
        await stack.InitializeAsync();
        return new BenchStack(stack.WebUrl, stack);
    }

    public async ValueTask DisposeAsync()
    {
        if (_owned is not null)
        {
            await _owned.DisposeAsync();
        }
    }
}
