using System.Net.WebSockets;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using SharedCanvas.Realtime.Auth;
using SharedCanvas.Realtime.Sessions;
using SharedCanvas.Realtime.Extensions;

namespace SharedCanvas.Realtime.Apis;

/// <summary>
/// <c>GET /ws/boards/{boardId}</c> with <c>Sec-WebSocket-Protocol: sharedcanvas.v1, access_token.{JWT}</c>
/// (or, from older clients, <c>?access_token={JWT}</c>): where a board's sockets enter. Everything is
/// checked before the upgrade (docs/protocol.md §1): the request, the Origin, the token and its board.
/// </summary>
public static partial class BoardSocketApi
{
    /// <summary>The subprotocol the server selects; a client offers it next to its token.</summary>
    public const string Subprotocol = "sharedcanvas.v1";

    /// <summary>The prefix of the offered subprotocol that carries the access token.</summary>
    public const string TokenSubprotocolPrefix = "access_token.";

    public static IEndpointRouteBuilder MapBoardSocketApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/ws/boards/{boardId}", AcceptAsync).ExcludeFromDescription();
        return app;
    }

    public static async Task AcceptAsync(
        HttpContext context, string boardId, BoardTokenValidator tokens, SessionServices services,
        IOptions<RealtimeOptions> options, ILoggerFactory loggers)
    {
        var logger = loggers.CreateLogger(typeof(BoardSocketApi).FullName!);
        if (!context.WebSockets.IsWebSocketRequest || !Contracts.BoardIds.IsValid(boardId))
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

        (string? token, var selectProtocol) = TokenOf(context);
        var (principal, failure) = await tokens.ValidateAsync(token);
        token = null; // the handler's state lives as long as the socket
        // The request lives as long as the socket: it keeps no parsed copy of the token (for anything that
        // reads the request later, and for memory). A token in the URL stays in Kestrel's copy of the
        // request target for the socket's life (~2.6 KB a socket); one in the header is removed below.
        context.Request.Query = QueryCollection.Empty;
        if (principal is null || principal.BoardId != boardId)
        {
            LogTokenRefused(logger, boardId, failure ?? "token for another board");
            context.Response.Headers.WWWAuthenticate = "Bearer error=\"invalid_token\"";
            Refuse(context, services, StatusCodes.Status401Unauthorized, principal is null ? "token" : "token_board");
            return;
        }

        // A token the site handed out before access was withdrawn (a member removed, a role lowered, a
        // sign-out everywhere, an account or the board deleted) is refused like an invalid one.
        if (await services.Access.RefusalAsync(principal) is { } withdrawn)
        {
            LogTokenRefused(logger, boardId, withdrawn);
            context.Response.Headers.WWWAuthenticate = "Bearer error=\"invalid_token\"";
            Refuse(context, services, StatusCodes.Status401Unauthorized, "token_withdrawn");
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
                // Never the token's entry: only the protocol name is echoed back.
                SubProtocol = selectProtocol ? Subprotocol : null,
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

        context.Request.Headers.Remove(HeaderNames.SecWebSocketProtocol);
        using (socket)
        {
            await new BoardSession(connectionId, socket, principal, services).RunAsync(context.RequestAborted);
        }
    }

    /// <summary>
    /// The token, from an offered subprotocol <c>access_token.{JWT}</c> or else the query string, and whether
    /// the client offered <see cref="Subprotocol"/>. Not async, so that nothing here outlives the call in
    /// the socket's long-lived state.
    /// </summary>
    private static (string Token, bool SelectProtocol) TokenOf(HttpContext context)
    {
        string? token = null;
        var selectProtocol = false;
        foreach (var protocol in context.WebSockets.WebSocketRequestedProtocols)
        {
            if (protocol.StartsWith(TokenSubprotocolPrefix, StringComparison.Ordinal))
            {
                token ??= protocol[TokenSubprotocolPrefix.Length..];
            }
            else if (protocol == Subprotocol)
            {
                selectProtocol = true;
            }
        }

        return (token ?? context.Request.Query["access_token"].ToString(), selectProtocol);
    }

    private static void Refuse(HttpContext context, SessionServices services, int status, string reason)
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
