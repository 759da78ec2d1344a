using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using SharedCanvas.Realtime.Sessions;
using SharedCanvas.Realtime.Sockets;

namespace SharedCanvas.Realtime.Apis;

/// <summary>
/// Board sockets upgraded on the bare connection (Kestrel connection middleware, before the HTTP server): a
/// connection whose first request is plainly a board socket's upgrade (<see cref="BoardSocketRequest"/>) is
/// admitted here and becomes a <see cref="WebSocket"/> over the connection's own pipes, holding none of the
/// HTTP/1.1 request state — connection, headers, features, request services — that ASP.NET Core keeps for an
/// upgraded request's whole life (about half of an idle socket's memory; docs/performance.md "Idle memory").
/// Every other connection, and every request this parser does not take, goes on to the HTTP server untouched,
/// where <see cref="BoardSocketApi"/> serves the same endpoint. Both admit through <see cref="BoardSocketAdmission"/>.
/// </summary>
internal sealed partial class BoardSocketConnections(
    BoardSocketAdmission admission, IOptions<KestrelServerOptions> kestrel, ILogger<BoardSocketConnections> logger)
{
    private const string AcceptGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    /// <summary>This middleware in front of <paramref name="http"/> (the rest of the connection's pipeline).</summary>
    public ConnectionDelegate Around(ConnectionDelegate http) => connection => OnConnectedAsync(connection, http);

    private async Task OnConnectedAsync(ConnectionContext connection, ConnectionDelegate http)
    {
        var request = await ReadRequestAsync(connection);
        if (request is null)
        {
            await http(connection);
            return;
        }

        using var handshake = RealtimeTelemetry.StartHandshake(request.BoardId, request.TraceParent, request.TraceState, connection.RemoteEndPoint);
        var (socket, verdict) = await UpgradeAsync(connection, request, handshake);
        request = null; // this method's state lives as long as the socket
        if (socket is null)
        {
            return;
        }

        using (socket)
        {
            await new BoardSession(verdict.ConnectionId!, socket, verdict.Principal!, admission.Services).RunAsync(connection.ConnectionClosed);
        }

        if (socket.State == WebSocketState.Aborted)
        {
            // Given up on (a peer that stopped reading or went silent): drop the connection, as the HTTP server
            // drops an aborted request's, rather than wait to hand it what is still queued. A closed one ends
            // gracefully, its close frame sent.
            connection.Abort(new ConnectionAbortedException("the board socket was aborted"));
        }
    }

    /// <summary>
    /// The connection's first request when it is a board socket's, its head consumed; otherwise null with
    /// nothing consumed, for the HTTP server to read. A head that does not arrive within Kestrel's
    /// <c>RequestHeadersTimeout</c> closes the connection, as the HTTP server would.
    /// </summary>
    private async Task<BoardSocketRequest?> ReadRequestAsync(ConnectionContext connection)
    {
        var input = connection.Transport.Input;
        using var timeout = new CancellationTokenSource(kestrel.Value.Limits.RequestHeadersTimeout);
        while (true)
        {
            ReadResult read;
            try
            {
                read = await input.ReadAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                LogHeadTimedOut(logger, connection.ConnectionId);
                connection.Abort(new ConnectionAbortedException("request headers timed out"));
                return null;
            }

            var buffer = read.Buffer;
            var look = BoardSocketRequest.Examine(buffer, out var headEnd, out var headLength);
            if (look == BoardSocketRequest.Look.NeedMore && !read.IsCompleted)
            {
                input.AdvanceTo(buffer.Start, buffer.End);
                continue;
            }

            BoardSocketRequest? request = null;
            if (look == BoardSocketRequest.Look.Whole)
            {
                var head = buffer.Slice(0, headLength);
                request = head.IsSingleSegment ? BoardSocketRequest.Parse(head.FirstSpan) : ParseCopy(head);
            }

            // Taken: the head is consumed. Not taken: nothing consumed or examined, so the HTTP server reads it all.
            input.AdvanceTo(request is null ? buffer.Start : headEnd);
            return request;
        }

        static BoardSocketRequest? ParseCopy(ReadOnlySequence<byte> head)
        {
            var copy = ArrayPool<byte>.Shared.Rent((int)head.Length);
            try
            {
                head.CopyTo(copy);
                return BoardSocketRequest.Parse(copy.AsSpan(0, (int)head.Length));
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(copy);
            }
        }
    }

    private async Task<(WebSocket? Socket, BoardSocketAdmission.Verdict Verdict)> UpgradeAsync(
        ConnectionContext connection, BoardSocketRequest request, Activity? handshake)
    {
        BoardSocketAdmission.Verdict verdict;
        try
        {
            verdict = await admission.AdmitAsync(request.BoardId, request.Origin, request.Token);
        }
        catch (Exception ex)
        {
            // Redis or the database did not answer: try again (503); anything else is a fault of ours (500).
            var away = ex is StackExchange.Redis.RedisException || Contracts.DatabaseOutage.Is(ex);
            LogAdmissionFailed(logger, ex, request.BoardId);
            handshake?.SetStatus(ActivityStatusCode.Error, ex.GetType().Name);
            await RespondAsync(connection, away ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status500InternalServerError, handshake);
            return (null, default);
        }

        if (!verdict.Admitted)
        {
            await RespondAsync(connection, verdict.Status, handshake, verdict.InvalidToken);
            return (null, verdict);
        }

        try
        {
            var accept = Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(request.Key + AcceptGuid)));
            // Never the token's entry: only the protocol name is echoed back.
            var head = "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: " + accept
                + (request.OffersProtocol ? "\r\nSec-WebSocket-Protocol: " + BoardSocketApi.Subprotocol : "") + "\r\n\r\n";
            await connection.Transport.Output.WriteAsync(Encoding.ASCII.GetBytes(head));
            handshake?.SetTag("http.response.status_code", StatusCodes.Status101SwitchingProtocols);
            // Frames can carry tokens (in-band renewal): no per-message compression, so no CRIME/BREACH-style leaks.
            return (WebSocket.CreateFromStream(new DuplexPipeStream(connection.Transport), new WebSocketCreationOptions
            {
                IsServer = true,
                SubProtocol = request.OffersProtocol ? BoardSocketApi.Subprotocol : null,
                KeepAliveInterval = admission.Options.KeepAliveInterval,
                KeepAliveTimeout = admission.Options.KeepAliveTimeout,
            }), verdict);
        }
        catch
        {
            await admission.ReleaseAsync(verdict);
            throw;
        }
    }

    /// <summary>A refusal, as the HTTP server would answer it, and the connection closed after it.</summary>
    private static async Task RespondAsync(ConnectionContext connection, int status, Activity? handshake, bool invalidToken = false)
    {
        handshake?.SetTag("http.response.status_code", status);
        var head = $"HTTP/1.1 {status} {ReasonPhrases.GetReasonPhrase(status)}\r\nContent-Length: 0\r\nConnection: close\r\n"
            + (invalidToken ? "WWW-Authenticate: Bearer error=\"invalid_token\"\r\n" : "") + "\r\n";
        await connection.Transport.Output.WriteAsync(Encoding.ASCII.GetBytes(head));
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Connection {ConnectionId} sent no whole request head in time; closed")]
    private static partial void LogHeadTimedOut(ILogger logger, string connectionId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Handshake for board {BoardId} could not be checked")]
    private static partial void LogAdmissionFailed(ILogger logger, Exception exception, string boardId);
}
