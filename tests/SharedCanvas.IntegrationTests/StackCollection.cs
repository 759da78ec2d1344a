namespace SharedCanvas.IntegrationTests;

/// <summary>Tests that share one stack: they use fresh accounts and boards, so they never see each other.</summary>
[CollectionDefinition(Name)]
public sealed class StackCollection : ICollectionFixture<StackFixture>
{
    public const string Name = "stack";
}
