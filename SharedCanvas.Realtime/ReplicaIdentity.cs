namespace SharedCanvas.Realtime;

/// <summary>
/// The name of this realtime replica: Aspire's <c>service.instance.id</c> (one per replica), else the
/// host name and process id. Clients see it in <c>welcome.server</c>; telemetry carries it too.
/// </summary>
public sealed class ReplicaIdentity
{
    public ReplicaIdentity(IConfiguration configuration)
    {
        Name = FromResourceAttributes(configuration["OTEL_RESOURCE_ATTRIBUTES"])
            ?? $"{Environment.MachineName.ToLowerInvariant()}-{Environment.ProcessId}";
    }

    public string Name { get; }

    private static string? FromResourceAttributes(string? attributes)
    {
        foreach (var pair in (attributes ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var equals = pair.IndexOf('=');
            if (equals > 0 && pair[..equals] == "service.instance.id" && pair.Length > equals + 1)
            {
                return Uri.UnescapeDataString(pair[(equals + 1)..]);
            }
        }

        return null;
    }
}
