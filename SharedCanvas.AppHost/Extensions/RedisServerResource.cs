namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// The machine's own <c>redis-server</c>. It offers the same connection string as the Redis container resource
/// (<c>host:port,password=…</c>), so consumers call <c>AddRedisClient("redis")</c> either way.
/// </summary>
public sealed class RedisServerResource(string name, string command, string workingDirectory, ParameterResource password)
    : ServerExecutableResource(name, command, workingDirectory, password)
{
    public override ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"{PrimaryEndpoint.Property(EndpointProperty.HostAndPort)},password={PasswordParameter}");
}
