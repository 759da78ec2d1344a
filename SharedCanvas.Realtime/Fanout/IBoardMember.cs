using SharedCanvas.Realtime.Auth;

namespace SharedCanvas.Realtime.Fanout;

/// <summary>What fan-out did with one operation for one member.</summary>
public enum Delivery
{
    Skipped,
    Sent,
    Acknowledged,
    Buffered,
    Dropped,
}

/// <summary>
/// One socket's session as fan-out sees it: a hub writes the board's operations, presence and cursors to its
/// members through this and nothing else (the session implements it; tests may too).
/// </summary>
public interface IBoardMember
{
    /// <summary>The socket's id (<c>conn</c> in presence and cursors).</summary>
    string Id { get; }

    BoardPrincipal Principal { get; }

    /// <summary>The person's colour for presence and cursors.</summary>
    string Color { get; }

    /// <summary>Past its replay: it receives live messages.</summary>
    bool IsLive { get; }

    /// <summary>
    /// One operation from the board's log, in sequence order, as stored: the sender's own socket (same
    /// <paramref name="client"/> id) acknowledges it instead of showing it. Never waits; with
    /// <paramref name="inline"/> the caller's thread writes it to the socket itself when nothing else is.
    /// </summary>
    Delivery DeliverOp(byte[] message, long seq, ReadOnlySpan<byte> client, long n, long timestamp, bool inline);

    /// <summary>A message that is not stored (presence, cursors). Never waits.</summary>
    void DeliverEphemeral(byte[] message, bool inline);

    /// <summary>The latest cursor position (and view) if it moved since the last call (the hub publishes them coalesced).</summary>
    CursorMove? TakeCursor();
}

/// <summary>Where someone's pointer is (or that it left the canvas), and the part of the board their screen shows.</summary>
public readonly record struct CursorMove(double X, double Y, bool Gone, ViewRect? View);

/// <summary>A person's visible board rectangle: left, top, width and height in board units (for following them).</summary>
public readonly record struct ViewRect(double X, double Y, double Width, double Height);
