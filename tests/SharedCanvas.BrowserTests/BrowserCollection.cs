namespace SharedCanvas.BrowserTests;

/// <summary>
/// Every browser test shares one stack and one Chromium, one test at a time: on a 2-core machine several
/// stacks and browsers at once make pages slow enough to time out. Tests use fresh accounts and boards;
/// one that kills a service starts it again before it ends.
/// </summary>
[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<BrowserStackFixture>
{
    public const string Name = "browser";
}
