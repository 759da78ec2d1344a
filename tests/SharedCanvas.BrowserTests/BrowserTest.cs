namespace SharedCanvas.BrowserTests;

/// <summary>A browser test: the people it opened are closed when it ends, so tests never see each other's pages.</summary>
public abstract class BrowserTest(BrowserStackFixture stack) : IAsyncLifetime
{
    protected BrowserStackFixture Stack { get; } = stack;

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => Stack.ClosePeopleAsync();
}
