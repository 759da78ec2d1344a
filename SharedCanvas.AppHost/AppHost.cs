using Microsoft.Extensions.Configuration;
using SharedCanvas.Contracts;

var builder = DistributedApplication.CreateBuilder(args);

var dataDirectory = builder.GetDataDirectory();
// Two replicas by default: fan-out between replicas through Redis is the normal path, not a special case.
var realtimeReplicas = builder.Configuration.GetValue("SharedCanvas:RealtimeReplicas", 2);

// One redis-server (or Aspire's container) by default; with Redis:Topology=cluster, a local Redis Cluster of six.
var redis = builder.AddBoardRedis("redis", dataDirectory);

// Encrypts the site's Data Protection keys (and through them its token-signing keys) at rest. Generated
// once and kept in the AppHost's user secrets, apart from the data directory it protects.
var keyEncryptionKey = builder.AddParameter("data-protection-kek",
    new GenerateParameterDefault { MinLength = 32, Special = false }, secret: true, persist: true);

// SQLite files in the data directory by default; with Database:Provider=postgres, two databases on one
// PostgreSQL server (docs/storage.md). Every process is told the same engine.
var databases = builder.AddBoardDatabases(dataDirectory);
var provider = databases.Provider == DatabaseProvider.PostgreSql ? "postgres" : "sqlite";

// Migrates both databases once and exits; the services start after it, so no replicas race to migrate.
var migrations = builder.AddProject<Projects.SharedCanvas_MigrationService>("migrations")
    .WithEnvironment("Database__Provider", provider)
    .WithEnvironment("ConnectionStrings__web-db", databases.Web)
    .WithEnvironment("ConnectionStrings__realtime-db", databases.Realtime);
if (databases.Server is { } server)
{
    migrations.WaitFor(server);
}

var web = builder.AddProject<Projects.SharedCanvas_Web>("web")
    .WithExternalHttpEndpoints()
    .WithHttpHealthCheck("/health")
    .WithReference(redis).WaitForBoardRedis(redis)
    .WaitForCompletion(migrations)
    .WithEnvironment("DataProtection__KeyEncryptionKey", keyEncryptionKey)
    .WithEnvironment("Database__Provider", provider)
    .WithEnvironment("ConnectionStrings__web-db", databases.Web);

var realtime = builder.AddProject<Projects.SharedCanvas_Realtime>("realtime")
    .WithExternalHttpEndpoints()
    .WithHttpHealthCheck("/health")
    .WithReplicas(realtimeReplicas)
    .WithReference(redis).WaitForBoardRedis(redis)
    .WithReference(web).WaitFor(web)
    .WaitForCompletion(migrations)
    .WithEnvironment("Database__Provider", provider)
    .WithEnvironment("ConnectionStrings__realtime-db", databases.Realtime);
if (redis.Resource is RedisClusterResource)
{
    // Acknowledged only once a replica holds it too: one node's failure loses nothing acknowledged (docs/storage.md).
    realtime.WithEnvironment("Realtime__AcknowledgeReplicas", "1");
}

// The site issues tokens under its own public address and tells browsers where the realtime service
// is; the realtime service accepts only that issuer and only browser pages from that origin.
var siteUrl = web.GetEndpoint("http");
web.WithEnvironment("Auth__Issuer", siteUrl)
    .WithEnvironment("Realtime__PublicUrl", realtime.GetEndpoint("http"));
realtime.WithEnvironment("Auth__Issuer", siteUrl)
    .WithEnvironment("Realtime__AllowedOrigins__0", siteUrl);

// The board page's diagnostics link a stroke to its trace in this dashboard (docs/observability.md). The
// dashboard is a resource of its own, added as the app starts; its endpoint resolves to wherever it listens.
web.WithEnvironment(context =>
{
    var dashboard = builder.Resources.OfType<IResourceWithEndpoints>().FirstOrDefault(r => r.Name == "aspire-dashboard");
    if (dashboard is not null
        && dashboard.Annotations.OfType<EndpointAnnotation>().FirstOrDefault(e => e.UriScheme is "http" or "https") is { } endpoint)
    {
        context.EnvironmentVariables["Diagnostics__DashboardUrl"] = dashboard.GetEndpoint(endpoint.Name);
    }

    // Browser telemetry: the board page exports its own spans and metrics to the dashboard's OTLP/HTTP
    // endpoint (launchSettings.json), which allows the site's origin (Aspire configures CORS for every
    // resource's endpoints), with the dashboard's OTLP API key (a key that writes telemetry, never reads it).
    if (dashboard?.Annotations.OfType<EndpointAnnotation>().Any(e => e.Name == "otlp-http") == true)
    {
        context.EnvironmentVariables["BrowserTelemetry__Endpoint"] = dashboard.GetEndpoint("otlp-http");
        if (builder.Configuration["AppHost:OtlpApiKey"] is { Length: > 0 } otlpApiKey)
        {
            context.EnvironmentVariables["BrowserTelemetry__Headers"] = $"x-otlp-api-key={otlpApiKey}";
        }
    }
});

builder.Build().Run();
