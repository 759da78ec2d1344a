namespace SharedCanvas.Realtime.Protocol;

public enum ClientMessageType
{
    Unknown,
    Hello,
    Op,
    Auth,
    Cursor,
    Ping,
    /// <summary><c>history</c>: the board's timeline (docs/protocol.md §4.9).</summary>
    History,
    /// <summary><c>version</c>: the board as it was at <see cref="ClientMessage.Seq"/>.</summary>
    Version,
}

/// <summary>
/// One parsed client message. String and object values are kept as ranges of the received bytes, so
/// parsing allocates nothing; the bytes stay valid while the message is being handled.
/// </summary>
public struct ClientMessage
{
    public ClientMessageType Type;
    public long N;
    public Range Op;
    public Range TraceParent;
    /// <summary><c>op</c>: when the sender's input that the operation carries happened (Unix ms, the sender's clock); 0 if absent.</summary>
    public long At;
    public Range Client;
    public long Since;
    public bool HasSince;
    /// <summary><c>hello</c>: the client accepts frames that hold an array of messages (protocol §2).</summary>
    public bool Batch;
    public Range Token;
    public double X;
    public double Y;
    public bool CursorGone;
    /// <summary><c>cursor</c>: the sender's visible board rectangle came with it (<c>vx</c>, <c>vy</c>, <c>vw</c>, <c>vh</c>).</summary>
    public bool HasView;
    public double ViewX;
    public double ViewY;
    public double ViewWidth;
    public double ViewHeight;
    public double PingT;
    /// <summary><c>version</c>: the sequence number the board is asked for as of.</summary>
    public long Seq;
}

public enum ParseStatus
{
    Ok,
    /// <summary>Not JSON, or not an object: close 1007.</summary>
    InvalidJson,
    /// <summary>JSON, but outside the message's schema: close 1007.</summary>
    SchemaViolation,
    /// <summary>A well-formed message of a type we do not know: error frame.</summary>
    UnknownType,
}
