using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

// Common services of every SharedCanvas service: OpenTelemetry (logs, metrics, traces), health checks,
// service discovery and HTTP resilience. Each service references this project and calls
// AddServiceDefaults() first and MapDefaultEndpoints() after building.
public static class Extensions
{
    public const string HealthEndpointPath = "/health";
    public const string AlivenessEndpointPath = "/alive";

    private static readonly HashSet<string> StaticFileExtensions = new(StringComparer.OrdinalIgnoreCase)
    {
        ".js", ".mjs", ".map", ".css", ".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg", ".ico", ".woff", ".woff2", ".ttf", ".webmanifest",
    };

    /// <summary>A request for a file a page loads (a script, a style sheet, an image, a font), by its extension.</summary>
    public static bool IsStaticFile(PathString path) =>
        path.HasValue && StaticFileExtensions.Contains(Path.GetExtension(path.Value));

    /// <summary>Every ActivitySource and Meter of SharedCanvas is named under this prefix.</summary>
    public const string TelemetryPrefix = "SharedCanvas.";

    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.ConfigureOpenTelemetry();

        builder.AddDefaultHealthChecks();

        builder.Services.AddServiceDiscovery();

        builder.Services.ConfigureHttpClientDefaults(http =>
        {
            http.AddStandardResilienceHandler();
            http.AddServiceDiscovery();
        });

        return builder;
    }

    public static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        // ASP.NET Core's "Request starting GET /path?query" line carries the whole query string, and the
        // realtime service receives its token as a query parameter. Nothing of that category is needed
        // below Warning (traces carry the same facts, with the query redacted), so it stays off.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.Warning);

        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        builder.Services.AddOpenTelemetry()
            .WithMetrics(metrics =>
            {
                metrics.AddAspNetCoreInstrumentation()
                    .AddHttpClientInstrumentation()
                    .AddRuntimeInstrumentation()
                    .AddMeter(TelemetryPrefix + "*");
            })
            .WithTracing(tracing =>
            {
                // Follow the caller's decision: a browser that sampled a stroke out is not traced here either.
                // A trace starts only where something came in (a request, a message) or where our code names work
                // worth seeing; a background client call alone (a Redis poll, a refresh) starts none.
                tracing.SetSampler(new ParentBasedSampler(new NoBackgroundTracesSampler()))
                    .AddSource(builder.Environment.ApplicationName)
                    .AddSource(TelemetryPrefix + "*")
                    .AddAspNetCoreInstrumentation(aspNetCore =>
                    {
                        // Health probes are not traced, nor the files a page loads (scripts, styles, images, fonts):
                        // a board page load was twenty traces of its assets around the one people care about.
                        aspNetCore.Filter = context =>
                            !context.Request.Path.StartsWithSegments(HealthEndpointPath)
                            && !context.Request.Path.StartsWithSegments(AlivenessEndpointPath)
                            && !IsStaticFile(context.Request.Path);
                        // Older realtime clients send their token in the query string, and share links carry their
                        // secret in the path: neither is ever exported.
                        aspNetCore.EnrichWithHttpRequest = (activity, request) =>
                        {
                            if (request.QueryString.HasValue)
                            {
                                activity.SetTag("url.query", TelemetryRedaction.RedactQuery(request.QueryString.Value));
                            }

                            var path = request.Path.Value;
                            var redacted = TelemetryRedaction.RedactPath(path);
                            if (!ReferenceEquals(redacted, path))
                            {
                                activity.SetTag("url.path", redacted);
                                activity.DisplayName = activity.DisplayName.Replace(path!, redacted, StringComparison.Ordinal);
                            }
                        };
                    })
                    .AddHttpClientInstrumentation();
            });

        builder.AddOpenTelemetryExporters();

        return builder;
    }

    private static TBuilder AddOpenTelemetryExporters<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        var useOtlpExporter = !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);

        if (useOtlpExporter)
        {
            builder.Services.AddOpenTelemetry().UseOtlpExporter();
        }

        return builder;
    }

    public static TBuilder AddDefaultHealthChecks<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddHealthChecks()
            // A liveness check that only says the process answers.
            .AddCheck("self", () => HealthCheckResult.Healthy(), ["live"]);

        return builder;
    }

    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        // Mapped in every environment: the AppHost and orchestrators wait on /health. The answers carry
        // only the aggregate status, never the details of a failing check.
        app.MapHealthChecks(HealthEndpointPath);

        app.MapHealthChecks(AlivenessEndpointPath, new HealthCheckOptions
        {
            Predicate = r => r.Tags.Contains("live")
        });

        return app;
    }
}
