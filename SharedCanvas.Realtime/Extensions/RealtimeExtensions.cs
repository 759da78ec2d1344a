using Microsoft.EntityFrameworkCore;
using SharedCanvas.Realtime.Auth;
using SharedCanvas.Realtime.Pipeline;
using SharedCanvas.Realtime.Sessions;
using SharedCanvas.Realtime.Fanout;
using SharedCanvas.Realtime.Storage;

namespace SharedCanvas.Realtime.Extensions;

internal static class RealtimeExtensions
{
    /// <summary>Token validation against the site's published keys (the realtime service cannot mint tokens).</summary>
    public static IHostApplicationBuilder AddRealtimeAuth(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<RealtimeAuthOptions>()
            .BindConfiguration(RealtimeAuthOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddHttpClient(nameof(SiteKeySet));
        builder.Services.AddSingleton<SiteKeySet>();
        builder.Services.AddSingleton<BoardTokenValidator>();
        builder.Services.AddSingleton<AccessCheck>();
        return builder;
    }

    /// <summary>
    /// Where boards are kept: the log in Redis, snapshots in the database (connection string
    /// <c>realtime-db</c>), and the saver that folds the one into the other.
    /// </summary>
    public static IHostApplicationBuilder AddBoardStorage(this IHostApplicationBuilder builder)
    {
        builder.AddRealtimeDbContext();
        builder.Services.AddHostedService<RealtimeDatabaseInitializer>();

        // Redis replies and publishes are read on threads of their own, not behind the sockets' work on the
        // thread pool: every delivery waits for one (docs/performance.md, "Where a delivery's time goes").
        builder.AddRedisClient("redis", settings => settings.DisableHealthChecks = true, options =>
            options.SocketManager = new StackExchange.Redis.SocketManager("realtime-redis", 2, StackExchange.Redis.SocketManager.SocketManagerOptions.UseHighPrioritySocketThreads));
        // Healthy while Redis serves this replica, a cluster with one node down included (see the check).
        builder.Services.AddHealthChecks().AddCheck<BoardRedisHealthCheck>("redis");
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<RealtimeTelemetry>();
        builder.Services.AddSingleton<ReplicaIdentity>();
        builder.Services.AddSingleton<BoardLog>();
        builder.Services.AddSingleton<IOperationLog>(sp => sp.GetRequiredService<BoardLog>());
        builder.Services.AddSingleton<SnapshotStore>();
        builder.Services.AddOptions<HistoryOptions>()
            .BindConfiguration(HistoryOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<BoardHistory>();
        builder.Services.AddOptions<SaverOptions>()
            .BindConfiguration(SaverOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddHostedService<BoardSaver>();
        return builder;
    }

    /// <summary>Board sockets: one hub per board, the connection registry, limits.</summary>
    public static IHostApplicationBuilder AddBoardSockets(this IHostApplicationBuilder builder)
    {

        builder.Services.AddOptions<RealtimeOptions>()
            .BindConfiguration(RealtimeOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        builder.Services.AddSingleton<BoardHubs>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<BoardHubs>());
        builder.Services.AddSingleton<ConnectionRegistry>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ConnectionRegistry>());
        builder.Services.AddSingleton<MessageLimits>();
        builder.Services.AddSingleton<UserSockets>();
        builder.Services.AddSingleton<OpPipeline>();
        builder.Services.AddSingleton<SessionServices>();
        builder.Services.AddHostedService<BoardEventListener>();
        builder.Services.AddSingleton<Apis.BoardSocketAdmission>();

        // Board sockets upgrade on the bare connection, ahead of the HTTP server, when turned on
        // (Realtime:BareSockets; docs/performance.md "Idle memory").
        builder.Services.AddSingleton<Apis.BoardSocketConnections>();
        builder.Services.AddOptions<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>()
            .Configure<IServiceProvider>((kestrel, services) =>
            {
                if (builder.Configuration.GetValue($"{RealtimeOptions.SectionName}:{nameof(RealtimeOptions.BareSockets)}", false))
                {
                    kestrel.ConfigureEndpointDefaults(listen =>
                        listen.Use(next => services.GetRequiredService<Apis.BoardSocketConnections>().Around(next)));
                }
            });
        return builder;
    }
}
