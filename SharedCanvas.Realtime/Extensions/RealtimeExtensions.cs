using SharedCanvas.Realtime.Auth;
using SharedCanvas.Realtime.Connections;
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
        builder.Services.AddHttpClient(nameof(BoardTokenValidator));
        builder.Services.AddSingleton<BoardTokenValidator>();
        return builder;
    }

    /// <summary>Board sockets: the log in Redis, one hub per board, the connection registry, telemetry.</summary>
    public static IHostApplicationBuilder AddBoardSockets(this IHostApplicationBuilder builder)
    {
        builder.AddRedisClient("redis");

        builder.Services.AddOptions<RealtimeOptions>()
            .BindConfiguration(RealtimeOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<RealtimeTelemetry>();
        builder.Services.AddSingleton<ReplicaIdentity>();
        builder.Services.AddSingleton<BoardLog>();
        builder.Services.AddSingleton<BoardHubs>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<BoardHubs>());
        builder.Services.AddSingleton<ConnectionRegistry>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ConnectionRegistry>());
        builder.Services.AddSingleton<SocketServices>();
        return builder;
    }
}
