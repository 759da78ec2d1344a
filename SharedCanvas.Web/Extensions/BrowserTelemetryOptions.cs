namespace SharedCanvas.Web.Extensions;

/// <summary>
/// Where the board page sends its own spans and metrics (docs/observability.md, "The browser's part"): an
/// OTLP/HTTP collector that accepts requests from the site's origin (CORS). Off unless <see cref="Endpoint"/>
/// is set; the AppHost sets it to the Aspire dashboard's OTLP/HTTP endpoint, with the dashboard's API key.
/// </summary>
public sealed class BrowserTelemetryOptions
{
    public const string SectionName = "BrowserTelemetry";

    /// <summary>The collector's base address (the page adds <c>/v1/traces</c> and <c>/v1/metrics</c>).</summary>
    public string? Endpoint { get; set; }

    /// <summary>
    /// Headers for every export, as <c>key=value</c> pairs separated by commas (the OTEL_EXPORTER_OTLP_HEADERS
    /// form). Every signed-in person who opens a board can read them: put only a key that allows writing
    /// telemetry here, never one that reads it.
    /// </summary>
    public string? Headers { get; set; }

    /// <summary>The service name of the pages' telemetry.</summary>
    public string ServiceName { get; set; } = "browser";

    /// <summary>The endpoint, if it is an absolute http(s) address.</summary>
    public Uri? EndpointUri =>
        Uri.TryCreate(Endpoint, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" ? uri : null;

    /// <summary>The headers as a dictionary (pairs without a key or '=' are ignored).</summary>
    public Dictionary<string, string> HeaderPairs()
    {
        var pairs = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var pair in (Headers ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var equals = pair.IndexOf('=');
            if (equals > 0)
            {
                pairs[Uri.UnescapeDataString(pair[..equals].Trim())] = Uri.UnescapeDataString(pair[(equals + 1)..].Trim());
            }
        }

        return pairs;
    }
}
