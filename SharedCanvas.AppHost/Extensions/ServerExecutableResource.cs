namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// A server the machine has installed (redis-server, PostgreSQL), run by Aspire as an executable where no
/// container engine is available: one TCP endpoint and a generated password, from which the derived type
/// makes the connection string its clients expect.
/// </summary>
public abstract class ServerExecutableResource(string name, string command, string workingDirectory, ParameterResource password)
    : ExecutableResource(name, command, workingDirectory), IResourceWithConnectionString
{
    internal const string PrimaryEndpointName = "tcp";

    private EndpointReference? _primaryEndpoint;

    public EndpointReference PrimaryEndpoint => _primaryEndpoint ??= new(this, PrimaryEndpointName);

    public ParameterResource PasswordParameter { get; } = password;

    public abstract ReferenceExpression ConnectionStringExpression { get; }
}
