namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// A Redis Cluster of the machine's <c>redis-server</c> nodes, as its clients see it: the step that forms the
/// cluster (or checks that it is formed) and exits, and the connection string that names every node
/// (<c>host:port,…,password=…</c>), from which StackExchange.Redis discovers the cluster's slots.
/// </summary>
public sealed class RedisClusterResource(string name, string workingDirectory, ParameterResource password, IReadOnlyList<RedisServerResource> nodes)
    : ExecutableResource(name, "/bin/sh", workingDirectory), IResourceWithConnectionString
{
    public IReadOnlyList<RedisServerResource> Nodes { get; } = nodes;

    public ParameterResource PasswordParameter { get; } = password;

    public ReferenceExpression ConnectionStringExpression
    {
        get
        {
            var builder = new ReferenceExpressionBuilder();
            foreach (var node in Nodes)
            {
                // The address the nodes announce in CLUSTER NODES (they bind 127.0.0.1), so that the client knows each
                // node by one endpoint, not by "localhost" as well.
                builder.Append($"127.0.0.1:{node.PrimaryEndpoint.Property(EndpointProperty.Port)},");
            }

            builder.Append($"password={PasswordParameter}");
            return builder.Build();
        }
    }
}
