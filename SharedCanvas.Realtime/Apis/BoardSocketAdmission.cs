using SharedCanvas.Realtime.Auth;
using SharedCanvas.Realtime.Extensions;
using SharedCanvas.Realtime.Sessions;

namespace SharedCanvas.Realtime.Apis;

/// <summary>
/// Whether a handshake may open a board socket: its Origin, its token and the token's board, access not
/// withdrawn since, and a socket left in the user's allowance (docs/protocol.md §1). Shared by both ways in —
/// the bare connection handler (<see cref="BoardSocketConnections"/>) and the ASP.NET Core endpoint
/// (<see cref="BoardSocketApi"/>) — so that both refuse alike.
/// </summary>
internal sealed partial class BoardSocketAdmission(
    BoardTokenValidator tokens, SessionServices services, Microsoft.Extensions.Options.IOptions<RealtimeOptions> options,
    ILogger<BoardSocketAdmission> logger)
{
    /// <summary>An admitted socket (<see cref="Status"/> 0, holding one of the user's sockets) or a refusal.</summary>
    public readonly record struct Verdict(int Status, BoardPrincipal? Principal, string? ConnectionId)
    {
        public bool Admitted => Status == 0;

        /// <summary>A refusal for the token (401), answered with <c>WWW-Authenticate: Bearer error="invalid_token"</c>.</summary>
        public bool InvalidToken => Status == StatusCodes.Status401Unauthorized;
    }

    public SessionServices Services => services;

    public RealtimeOptions Options => options.Value;

    /// <summary>
    /// Checks a handshake for <paramref name="boardId"/> (already known to be a board id). An admitted verdict
    /// holds one of the user's sockets: hand it to a <see cref="BoardSession"/>, or <see cref="ReleaseAsync"/>.
    /// </summary>
    public async ValueTask<Verdict> AdmitAsync(string boardId, string origin, string? token)
    {
        // Its own short span, under the handshake's: the Redis instrumentation keeps the commands of a span
        // until it ends, and the handshake's lasts as long as the socket (~0.5 KB a socket, for nothing).
        using var span = RealtimeTelemetry.Source.StartActivity("admit board socket");
        span?.SetTag("sharedcanvas.board.id", boardId);
        var verdict = await CheckAsync(boardId, origin, token);
        if (!verdict.Admitted)
        {
            span?.SetTag("http.response.status_code", verdict.Status);
        }

        return verdict;
    }

    private async ValueTask<Verdict> CheckAsync(string boardId, string origin, string? token)
    {
        if (origin.Length > 0 && !options.Value.AllowedOrigins.Contains(origin, StringComparer.OrdinalIgnoreCase))
        {
            LogForeignOrigin(logger, boardId, origin);
            return Refuse(StatusCodes.Status403Forbidden, "origin");
        }

        var (principal, failure) = await tokens.ValidateAsync(token);
        if (principal is null || principal.BoardId != boardId)
        {
            LogTokenRefused(logger, boardId, failure ?? "token for another board");
            return Refuse(StatusCodes.Status401Unauthorized, principal is null ? "token" : "token_board");
        }

        // A token the site handed out before access was withdrawn (a member removed, a role lowered, a
        // sign-out everywhere, an account or the board deleted) is refused like an invalid one.
        if (await services.Access.RefusalAsync(principal) is { } withdrawn)
        {
            LogTokenRefused(logger, boardId, withdrawn);
            return Refuse(StatusCodes.Status401Unauthorized, "token_withdrawn");
        }

        var connectionId = ConnectionIds.New();
        if (!await services.UserSockets.TryClaimAsync(principal.UserId, connectionId))
        {
            LogTooManySockets(logger, principal.UserId);
            return Refuse(StatusCodes.Status429TooManyRequests, "too_many_sockets");
        }

        return new Verdict(0, principal, connectionId);
    }

    /// <summary>Gives back the socket an admitted verdict held, when its upgrade failed.</summary>
    public Task ReleaseAsync(Verdict admitted) => services.UserSockets.ReleaseAsync(admitted.Principal!.UserId, admitted.ConnectionId!);

    /// <summary>Counts a refusal (<c>handshake_{reason}</c>) and returns it.</summary>
    public Verdict Refuse(int status, string reason)
    {
        services.Telemetry.Refusals.Add(1, new KeyValuePair<string, object?>("reason", "handshake_" + reason));
        return new Verdict(status, null, null);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Handshake for board {BoardId} refused: foreign origin {Origin}")]
    private static partial void LogForeignOrigin(ILogger logger, string boardId, string origin);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Handshake refused: user {UserId} holds the maximum number of sockets")]
    private static partial void LogTooManySockets(ILogger logger, string userId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Handshake for board {BoardId} refused: {Reason}")]
    private static partial void LogTokenRefused(ILogger logger, string boardId, string reason);
}
