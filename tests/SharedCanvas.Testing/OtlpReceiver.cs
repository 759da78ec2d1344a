using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace SharedCanvas.Testing;

/// <summary>One metric data point as the services exported it.</summary>
public sealed record ExportedPoint(string Service, string Instance, string Metric, IReadOnlyDictionary<string, string> Attributes, double Value, ulong Count);

/// <summary>
/// An OTLP/HTTP (protobuf) endpoint on loopback that the services export to, so that a test reads the
/// metrics they really sent. Traces and logs are accepted and ignored.
/// </summary>
public sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ExportedPoint> _points = new();

    private OtlpReceiver(WebApplication app) => _app = app;

    public string Endpoint { get; private set; } = "";

    public IReadOnlyCollection<ExportedPoint> Points => _points;

    public static async Task<OtlpReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(System.Net.IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http1));
        var app = builder.Build();
        var receiver = new OtlpReceiver(app);
        app.MapPost("/v1/metrics", async (HttpRequest request) =>
        {
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body);
            foreach (var point in OtlpMetricsReader.Read(body.ToArray()))
            {
                receiver._points.Enqueue(point);
            }

            return Results.Ok();
        });
        app.MapPost("/v1/traces", () => Results.Ok());
        app.MapPost("/v1/logs", () => Results.Ok());
        await app.StartAsync();
        receiver.Endpoint = app.Urls.First();
        return receiver;
    }

    /// <summary>
    /// The latest point of each series of a metric from one service: per instance and attribute set
    /// (cumulative temporality, so the latest is the total).
    /// </summary>
    public IEnumerable<ExportedPoint> Latest(string service, string metric) =>
        _points.Where(p => p.Service == service && p.Metric == metric)
            .GroupBy(p => p.Instance + "|" + SeriesKey(p))
            .Select(g => g.Last());

    /// <summary>The point's attributes as one text, to group the points of a series.</summary>
    public static string SeriesKey(ExportedPoint point) =>
        string.Join(",", point.Attributes.OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => $"{a.Key}={a.Value}"));

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}

/// <summary>
/// Reads the parts of an OTLP ExportMetricsServiceRequest (protobuf wire format) a test needs: service
/// name, metric name, data point attributes and values (sums, gauges: the value; histograms: count and sum).
/// </summary>
public static class OtlpMetricsReader
{
    public static IEnumerable<ExportedPoint> Read(byte[] request)
    {
        var points = new List<ExportedPoint>();
        foreach (var (field, resourceMetrics) in Fields(request))
        {
            if (field != 1)
            {
                continue;
            }

            string service = "", instance = "";
            foreach (var (f, value) in Fields(resourceMetrics))
            {
                if (f == 1)
                {
                    var resource = Attributes(value, attributeField: 1);
                    service = resource.GetValueOrDefault("service.name", "");
                    instance = resource.GetValueOrDefault("service.instance.id", "");
                }
            }

            foreach (var (f, scopeMetrics) in Fields(resourceMetrics))
            {
                if (f != 2)
                {
                    continue;
                }

                foreach (var (g, metric) in Fields(scopeMetrics))
                {
                    if (g == 2)
                    {
                        ReadMetric(service, instance, metric, points);
                    }
                }
            }
        }

        return points;
    }

    private static void ReadMetric(string service, string instance, ReadOnlyMemory<byte> metric, List<ExportedPoint> points)
    {
        var name = "";
        foreach (var (field, value) in Fields(metric))
        {
            if (field == 1)
            {
                name = System.Text.Encoding.UTF8.GetString(value.Span);
            }
        }

        foreach (var (field, data) in Fields(metric))
        {
            // 5 gauge, 7 sum: NumberDataPoint (field 1); 9 histogram: HistogramDataPoint (field 1).
            if (field is not (5 or 7 or 9))
            {
                continue;
            }

            foreach (var (f, point) in Fields(data))
            {
                if (f != 1)
                {
                    continue;
                }

                double value = 0;
                ulong count = 0;
                foreach (var (p, raw) in Fields(point))
                {
                    if (field == 9 && p == 4) count = BitConverter.ToUInt64(raw.Span);
                    else if (field == 9 && p == 5) value = BitConverter.ToDouble(raw.Span);
                    else if (field != 9 && p == 4) value = BitConverter.ToDouble(raw.Span);
                    else if (field != 9 && p == 6) value = BitConverter.ToInt64(raw.Span);
                }

                points.Add(new ExportedPoint(service, instance, name, Attributes(point, field == 9 ? 9 : 7), value, count));
            }
        }
    }

    /// <summary>The string (or number, as text) attributes found in repeated KeyValue field <paramref name="attributeField"/>.</summary>
    private static Dictionary<string, string> Attributes(ReadOnlyMemory<byte> message, int attributeField)
    {
        var attributes = new Dictionary<string, string>();
        foreach (var (field, keyValue) in Fields(message))
        {
            if (field != attributeField)
            {
                continue;
            }

            string key = "", value = "";
            foreach (var (f, raw) in Fields(keyValue))
            {
                if (f == 1)
                {
                    key = System.Text.Encoding.UTF8.GetString(raw.Span);
                }
                else if (f == 2)
                {
                    foreach (var (a, any) in Fields(raw))
                    {
                        value = a == 1 ? System.Text.Encoding.UTF8.GetString(any.Span) : a == 3 ? BitConverter.ToInt64(any.Span).ToString(System.Globalization.CultureInfo.InvariantCulture) : value;
                    }
                }
            }

            attributes[key] = value;
        }

        return attributes;
    }

    /// <summary>
    /// The fields of a protobuf message: number and payload (the bytes of length-delimited fields, eight
    /// bytes for fixed64, the varint as eight little-endian bytes). Other wire types are skipped.
    /// </summary>
    private static IEnumerable<(int Field, ReadOnlyMemory<byte> Value)> Fields(ReadOnlyMemory<byte> message)
    {
        var at = 0;
        while (at < message.Length)
        {
            var tag = Varint(message.Span, ref at);
            var field = (int)(tag >> 3);
            switch (tag & 7)
            {
                case 0:
                    var varint = Varint(message.Span, ref at);
                    yield return (field, BitConverter.GetBytes(varint));
                    break;
                case 1:
                    yield return (field, message.Slice(at, 8));
                    at += 8;
                    break;
                case 2:
                    var length = (int)Varint(message.Span, ref at);
                    yield return (field, message.Slice(at, length));
                    at += length;
                    break;
                case 5:
                    at += 4;
                    break;
                default:
                    yield break;
            }
        }
    }

    private static ulong Varint(ReadOnlySpan<byte> span, ref int at)
    {
        ulong result = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            var b = span[at++];
            result |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                break;
            }
        }

        return result;
    }
}
