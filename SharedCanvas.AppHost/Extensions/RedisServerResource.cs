namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// The machine's own <c>redis-server</c>, run by Aspire as an executable where no container engine is
/// available. It offers the same connection string as the Redis container resource
/// (<c>host:port,password=…</c>), so consumers call <c>AddRedisClient("redis")</c> either way.
/// </summary>
public sealed class RedisServerResource(string name, string command, string workingDirectory, ParameterResource password)
    : ExecutableResource(name, command, workingDirectory), IResourceWithConnectionString
{
    internal const string PrimaryEndpointName = "tcp";

    private EndpointReference? _primaryEndpoint;

    public EndpointReference PrimaryEndpoint => _primaryEndpoint ??= new(this, PrimaryEndpointName);

    public ParameterResource PasswordParameter { get; } = password;

    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"{PrimaryEndpoint.Property(EndpointProperty.HostAndPort)},password={PasswordParameter}");
}
