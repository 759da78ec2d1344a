using System.Net.WebSockets;

namespace SharedCanvas.Realtime.Protocol;

/// <summary>The WebSocket close codes of protocol v1 (docs/protocol.md §6).</summary>
public static class CloseCodes
{
    public const WebSocketCloseStatus Normal = WebSocketCloseStatus.NormalClosure;                  // 1000
    public const WebSocketCloseStatus GoingAway = WebSocketCloseStatus.EndpointUnavailable;         // 1001
    public const WebSocketCloseStatus BinaryFrame = WebSocketCloseStatus.InvalidMessageType;        // 1003
    public const WebSocketCloseStatus InvalidMessage = WebSocketCloseStatus.InvalidPayloadData;     // 1007
    public const WebSocketCloseStatus PolicyViolation = WebSocketCloseStatus.PolicyViolation;       // 1008
    public const WebSocketCloseStatus MessageTooBig = WebSocketCloseStatus.MessageTooBig;           // 1009
    public const WebSocketCloseStatus InternalError = WebSocketCloseStatus.InternalServerError;     // 1011
    public const WebSocketCloseStatus TryAgainLater = (WebSocketCloseStatus)1013;
    public const WebSocketCloseStatus TokenExpired = (WebSocketCloseStatus)4401;
    public const WebSocketCloseStatus Forbidden = (WebSocketCloseStatus)4403;
    public const WebSocketCloseStatus BoardDeleted = (WebSocketCloseStatus)4404;
}

/// <summary>The <c>code</c> of <c>error</c> frames (docs/protocol.md §4.8).</summary>
public static class ErrorCodes
{
    public const string InvalidOp = "invalid_op";
    public const string Forbidden = "forbidden";
    public const string UnknownType = "unknown_type";
    public const string RateLimited = "rate_limited";
    public const string NotReady = "not_ready";

    /// <summary>A resend of an operation so old that the log can no longer tell whether it was stored.</summary>
    public const string UnknownOp = "unknown_op";

    /// <summary>A <c>version</c> the history does not hold (past the head, or older than what is kept).</summary>
    public const string VersionUnavailable = "version_unavailable";
}
