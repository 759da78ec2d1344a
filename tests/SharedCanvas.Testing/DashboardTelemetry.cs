using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Aspire.Hosting;
using Aspire.Hosting.Testing;

namespace SharedCanvas.Testing;

/// <summary>
/// Reads what the services really exported, from the Aspire dashboard's telemetry API (OTLP JSON):
/// spans, traces and logs per resource. Used by tests that check traces, metrics and what logs contain.
/// </summary>
public sealed class DashboardTelemetry : IDisposable
{
    /// <summary>
    /// A <c>limit</c> that returns all the dashboard holds (the API's default is the newest 200 items).
    /// Filter by service rather than by <c>resource</c>: each replica is its own resource ("realtime-ab12cd").
    /// </summary>
    public const int Everything = 10_000;

    private readonly HttpClient _http;

    private DashboardTelemetry(HttpClient http) => _http = http;

    public static async Task<DashboardTelemetry> ConnectAsync(DistributedApplication app)
    {
        var login = await app.GetDashboardUrlAsync(CancellationToken.None) ?? throw new InvalidOperationException("The dashboard is off.");
        var token = System.Web.HttpUtility.ParseQueryString(login.Query)["t"];
        var http = new HttpClient { BaseAddress = new Uri(login.GetLeftPart(UriPartial.Authority)) };
        using var validated = await http.PostAsJsonAsync("/api/telemetry/validateToken", new { token });
        validated.EnsureSuccessStatusCode();
        var apiKey = (string)(await validated.Content.ReadFromJsonAsync<JsonObject>())!["apiKey"]!;
        http.DefaultRequestHeaders.Add("x-api-key", apiKey);
        return new DashboardTelemetry(http);
    }

    /// <summary>The raw OTLP JSON at a telemetry API path, or null while nothing was exported (404).</summary>
    public async Task<string?> GetRawAsync(string pathAndQuery)
    {
        using var response = await _http.GetAsync("/api/telemetry/" + pathAndQuery);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>Polls a telemetry API path until <paramref name="ready"/> holds for its JSON (export lags by seconds).</summary>
    public async Task<JsonDocument> WaitForAsync(string pathAndQuery, Func<JsonDocument, bool> ready, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        string? last = null;
        while (true)
        {
            last = await GetRawAsync(pathAndQuery);
            if (last is not null)
            {
                var document = JsonDocument.Parse(last);
                if (ready(document))
                {
                    return document;
                }

                document.Dispose();
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"The dashboard did not show what was expected at {pathAndQuery}. Last answer: {Summary(last)}");
            }

            await Task.Delay(1000);
        }
    }

    /// <summary>The spans of an answer as name, service and instance (or its start, when it holds none).</summary>
    private static string? Summary(string? answer)
    {
        if (answer is null)
        {
            return null;
        }

        using var document = JsonDocument.Parse(answer);
        var spans = Spans(document).Select(s => $"{s.Span.GetProperty("name").GetString()} ({s.Service} {s.Instance})").ToList();
        return spans.Count > 0 ? string.Join("; ", spans) : answer[..Math.Min(2000, answer.Length)];
    }

    /// <summary>Every span in an OTLP JSON answer, with its resource's service name and instance.</summary>
    public static IEnumerable<(JsonElement Span, string Service, string Instance)> Spans(JsonDocument document)
    {
        var root = document.RootElement.TryGetProperty("data", out var data) ? data : document.RootElement;
        if (!root.TryGetProperty("resourceSpans", out var resourceSpans))
        {
            yield break;
        }

        foreach (var resourceSpan in resourceSpans.EnumerateArray())
        {
            var service = ResourceAttribute(resourceSpan, "service.name");
            var instance = ResourceAttribute(resourceSpan, "service.instance.id");
            foreach (var scope in resourceSpan.GetProperty("scopeSpans").EnumerateArray())
            {
                foreach (var span in scope.GetProperty("spans").EnumerateArray())
                {
                    yield return (span, service, instance);
                }
            }
        }
    }

    public static string ResourceAttribute(JsonElement resourceItem, string key)
    {
        if (resourceItem.TryGetProperty("resource", out var resource) && resource.TryGetProperty("attributes", out var attributes))
        {
            foreach (var attribute in attributes.EnumerateArray())
            {
                if (attribute.GetProperty("key").GetString() == key)
                {
                    return AttributeValue(attribute.GetProperty("value"));
                }
            }
        }

        return "";
    }

    /// <summary>An attribute of a span (or log record) as text, or null.</summary>
    public static string? Attribute(JsonElement item, string key)
    {
        if (!item.TryGetProperty("attributes", out var attributes))
        {
            return null;
        }

        foreach (var attribute in attributes.EnumerateArray())
        {
            if (attribute.GetProperty("key").GetString() == key)
            {
                return AttributeValue(attribute.GetProperty("value"));
            }
        }

        return null;
    }

    private static string AttributeValue(JsonElement value)
    {
        foreach (var property in value.EnumerateObject())
        {
            return property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString()! : property.Value.GetRawText();
        }

        return "";
    }

    public void Dispose() => _http.Dispose();
}
