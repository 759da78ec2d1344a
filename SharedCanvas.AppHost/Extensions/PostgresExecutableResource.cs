namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// The machine's own PostgreSQL server (Debian's <c>postgresql</c> package). Its connection string names the
/// server; each database adds <c>Database=…</c> to it (<see cref="Aspire.Hosting.PostgresExtensions"/>).
/// </summary>
public sealed class PostgresExecutableResource(string name, string command, string workingDirectory, ParameterResource password)
    : ServerExecutableResource(name, command, workingDirectory, password)
{
    public override ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create(
            $"Host={PrimaryEndpoint.Property(EndpointProperty.Host)};Port={PrimaryEndpoint.Property(EndpointProperty.Port)};Username=postgres;Password={PasswordParameter}");
}
