namespace SharedCanvas.IntegrationTests;

/// <summary>
/// Test classes that need a stack of their own (they kill processes, restart the stack, change settings).
/// They run one after another, so only one such stack runs at a time beside the shared one.
/// </summary>
[CollectionDefinition(Name)]
public sealed class IsolatedCollection
{
    public const string Name = "isolated stacks";
}
