using System.Net.WebSockets;
using Microsoft.Extensions.Options;
using SharedCanvas.Realtime.Auth;
using SharedCanvas.Realtime.Connections;
using SharedCanvas.Realtime.Extensions;

namespace SharedCanvas.Realtime.Apis;

/// <summary>
/// <c>GET /ws/boards/{boardId}?access_token=…</c>: where a board's sockets enter. Everything is checked
/// before the upgrade (docs/protocol.md §1): the request, the Origin, the token and its board.
/// </summary>
public static partial class BoardSocketApi
{
    public static IEndpointRouteBuilder MapBoardSocketApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/ws/boards/{boardId}", AcceptAsync).ExcludeFromDescription();
        return app;
    }

    public static async Task AcceptAsync(
        HttpContext context, string boardId, BoardTokenValidator tokens, SocketServices services,
        IOptions<RealtimeOptions> options, ILoggerFactory loggers)
    {
        var logger = loggers.CreateLogger(typeof(BoardSocketApi).FullName!);
        if (!context.WebSockets.IsWebSocketRequest || !BoardIds.IsValid(boardId))
        {
            Refuse(context, services, StatusCodes.Status400BadRequest, "bad_request");
            return;
        }

        var origin = context.Request.Headers.Origin.ToString();
        if (origin.Length > 0 && !options.Value.AllowedOrigins.Contains(origin, StringComparer.OrdinalIgnoreCase))
        {
            LogForeignOrigin(logger, boardId, origin);
            Refuse(context, services, StatusCodes.Status403Forbidden, "origin");
            return;
        }

        var (principal, failure) = await tokens.ValidateAsync(context.Request.Query["access_token"].ToString());
        // The request lives as long as the socket: it keeps no parsed copy of the token (for anything that
        // reads the request later, and for memory: ~2.5 KB a socket).
        context.Request.Query = QueryCollection.Empty;
        if (principal is null || principal.BoardId != boardId)
        {
            LogTokenRefused(logger, boardId, failure ?? "token for another board");
            context.Response.Headers.WWWAuthenticate = "Bearer error=\"invalid_token\"";
            Refuse(context, services, StatusCodes.Status401Unauthorized, principal is null ? "token" : "token_board");
            return;
        }

        var connectionId = ConnectionIds.New();
        if (!await services.UserSockets.TryClaimAsync(principal.UserId, connectionId))
        {
            LogTooManySockets(logger, principal.UserId);
            Refuse(context, services, StatusCodes.Status429TooManyRequests, "too_many_sockets");
            return;
        }

        WebSocket socket;
        try
        {
            // Frames can carry tokens (in-band renewal): no per-message compression, so no CRIME/BREACH-style leaks.
            socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
            {
                DangerousEnableCompression = false,
                KeepAliveInterval = options.Value.KeepAliveInterval,
                KeepAliveTimeout = options.Value.KeepAliveTimeout,
            });
        }
        catch
        {
            await services.UserSockets.ReleaseAsync(principal.UserId, connectionId);
            throw;
        }

        using (socket)
        {
            await new BoardConnection(connectionId, socket, principal, services).RunAsync(context.RequestAborted);
        }
    }

    private static void Refuse(HttpContext context, SocketServices services, int status, string reason)
    {
        services.Telemetry.Refusals.Add(1, new KeyValuePair<string, object?>("reason", "handshake_" + reason));
        context.Response.StatusCode = status;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Handshake for board {BoardId} refused: foreign origin {Origin}")]
    private static partial void LogForeignOrigin(ILogger logger, string boardId, string origin);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Handshake refused: user {UserId} holds the maximum number of sockets")]
    private static partial void LogTooManySockets(ILogger logger, string userId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Handshake for board {BoardId} refused: {Reason}")]
    private static partial void LogTokenRefused(ILogger logger, string boardId, string reason);
}
