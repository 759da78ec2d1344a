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
public static class BoardSocketApi
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

    internal static async Task AcceptAsync(HttpContext context, string boardId, BoardSocketAdmission admission)
    {
        if (!context.WebSockets.IsWebSocketRequest || !Contracts.BoardIds.IsValid(boardId))
        {
            context.Response.StatusCode = admission.Refuse(StatusCodes.Status400BadRequest, "bad_request").Status;
            return;
        }

        (string? token, var selectProtocol) = TokenOf(context);
        var verdict = await admission.AdmitAsync(boardId, context.Request.Headers.Origin.ToString(), token);
        token = null; // the handler's state lives as long as the socket
        // The request lives as long as the socket: it keeps no parsed copy of the token (for anything that
        // reads the request later, and for memory). A token in the URL stays in Kestrel's copy of the
        // request target for the socket's life (~2.6 KB a socket); one in the header is removed below.
        context.Request.Query = QueryCollection.Empty;
        if (!verdict.Admitted)
        {
            if (verdict.InvalidToken)
            {
                context.Response.Headers.WWWAuthenticate = "Bearer error=\"invalid_token\"";
            }

            context.Response.StatusCode = verdict.Status;
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
                KeepAliveInterval = admission.Options.KeepAliveInterval,
                KeepAliveTimeout = admission.Options.KeepAliveTimeout,
            });
        }
        catch
        {
            await admission.ReleaseAsync(verdict);
            throw;
        }

        context.Request.Headers.Remove(HeaderNames.SecWebSocketProtocol);
        using (socket)
        {
            await new BoardSession(verdict.ConnectionId!, socket, verdict.Principal!, admission.Services).RunAsync(context.RequestAborted);
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
}
