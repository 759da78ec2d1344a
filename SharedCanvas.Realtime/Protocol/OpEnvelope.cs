using System.Buffers.Text;
using System.Text;
using System.Text.Json;

namespace SharedCanvas.Realtime.Protocol;

/// <summary>
/// The server's form of an operation, as stored in the board's log and broadcast to every socket
/// (docs/protocol.md §4.3): <c>{"type":"op","seq":S,"client":"C","n":N,"ts":T,"tp":"…","eid":"…","at":A,"author":"U","op":{…}}</c>.
/// The log script writes the head up to the sequence number; the server writes the rest (the tail) once,
/// and every replica forwards the same bytes to every socket.
/// </summary>
public static class OpEnvelope
{
    /// <summary>Everything before the sequence number, written by the log script.</summary>
    public static ReadOnlySpan<byte> Head => "{\"type\":\"op\",\"seq\":"u8;

    /// <summary>Upper bound of the tail's length besides the operation and the per-connection parts.</summary>
    public const int TailOverhead = 160;

    /// <summary><c>,"client":"C"</c> for a connection's client id (already restricted to safe characters).</summary>
    public static byte[] ClientPart(ReadOnlySpan<byte> clientId)
    {
        ReadOnlySpan<byte> prefix = ",\"client\":\""u8;
        var part = new byte[prefix.Length + clientId.Length + 1];
        prefix.CopyTo(part);
        clientId.CopyTo(part.AsSpan(prefix.Length));
        part[^1] = (byte)'"';
        return part;
    }

    /// <summary><c>,"author":"U"</c>, JSON-escaped once per connection.</summary>
    public static byte[] AuthorPart(string userId) =>
        Encoding.UTF8.GetBytes($",\"author\":\"{JsonEncodedText.Encode(userId)}\"");

    /// <summary>Writes the tail (everything after the sequence number) and returns its length.</summary>
    public static int WriteTail(Span<byte> destination, ReadOnlySpan<byte> clientPart, long n, long timestamp,
        ReadOnlySpan<byte> traceParent, ReadOnlySpan<byte> elementId, long inputAt, ReadOnlySpan<byte> authorPart, ReadOnlySpan<byte> op)
    {
        var length = 0;
        Append(destination, ref length, clientPart);
        Append(destination, ref length, ",\"n\":"u8);
        Utf8Formatter.TryFormat(n, destination[length..], out var written);
        length += written;
        Append(destination, ref length, ",\"ts\":"u8);
        Utf8Formatter.TryFormat(timestamp, destination[length..], out written);
        length += written;
        if (!traceParent.IsEmpty)
        {
            Append(destination, ref length, ",\"tp\":\""u8);
            Append(destination, ref length, traceParent);
            destination[length++] = (byte)'"';
        }

        if (!elementId.IsEmpty)
        {
            Append(destination, ref length, ",\"eid\":\""u8);
            Append(destination, ref length, elementId);
            destination[length++] = (byte)'"';
        }

        if (inputAt > 0)
        {
            Append(destination, ref length, ",\"at\":"u8);
            Utf8Formatter.TryFormat(inputAt, destination[length..], out written);
            length += written;
        }

        Append(destination, ref length, authorPart);
        Append(destination, ref length, ",\"op\":"u8);
        Append(destination, ref length, op);
        destination[length++] = (byte)'}';
        return length;
    }

    /// <summary>The room a tail needs.</summary>
    public static int TailLength(int clientPart, int authorPart, int op) => clientPart + authorPart + op + TailOverhead;

    /// <summary>True for an operation message (as opposed to presence or cursors on the same channel).</summary>
    public static bool IsOp(ReadOnlySpan<byte> message) => message.StartsWith(Head);

    /// <summary>
    /// The whole message as the append script stores it: <see cref="Head"/>, the sequence number, then the tail
    /// (<see cref="WriteTail"/>), for a publish made outside the script.
    /// </summary>
    public static byte[] Message(long seq, ReadOnlySpan<byte> tail)
    {
        Span<byte> digits = stackalloc byte[20];
        Utf8Formatter.TryFormat(seq, digits, out var length);
        var message = new byte[Head.Length + length + tail.Length];
        Head.CopyTo(message);
        digits[..length].CopyTo(message.AsSpan(Head.Length));
        tail.CopyTo(message.AsSpan(Head.Length + length));
        return message;
    }

    /// <summary>The fields at the start of an operation message (string fields as ranges of it).</summary>
    public struct Header
    {
        public long Seq;
        public Range Client;
        public long N;
        public long Timestamp;
        public Range TraceParent;
        public Range ElementId;
    }

    /// <summary>Reads seq, client, n, ts and (when present) tp and eid from the start of an operation message.</summary>
    public static bool TryReadHeader(ReadOnlySpan<byte> message, out Header header)
    {
        header = default;
        if (!message.StartsWith(Head) || !Utf8Parser.TryParse(message[Head.Length..], out header.Seq, out var consumed))
        {
            return false;
        }

        var at = Head.Length + consumed;
        if (!TryString(message, ref at, ",\"client\":\""u8, out header.Client)
            || !TryNumber(message, ref at, ",\"n\":"u8, out header.N))
        {
            return false;
        }

        // Logs written before the trace fields existed have the author (a user id, no escapes) here.
        TryString(message, ref at, ",\"author\":\""u8, out _);
        if (!TryNumber(message, ref at, ",\"ts\":"u8, out header.Timestamp))
        {
            return false;
        }

        TryString(message, ref at, ",\"tp\":\""u8, out header.TraceParent);
        TryString(message, ref at, ",\"eid\":\""u8, out header.ElementId);
        return true;
    }

    /// <summary>Reads seq, client and n (the fields fan-out needs for every socket).</summary>
    public static bool TryReadHeader(ReadOnlySpan<byte> message, out long seq, out ReadOnlySpan<byte> client, out long n)
    {
        var ok = TryReadHeader(message, out Header header);
        seq = header.Seq;
        n = header.N;
        client = ok ? message[header.Client] : default;
        return ok;
    }

    private static bool TryString(ReadOnlySpan<byte> message, ref int at, ReadOnlySpan<byte> key, out Range value)
    {
        value = default;
        if (!message[at..].StartsWith(key))
        {
            return false;
        }

        var start = at + key.Length;
        var quote = message[start..].IndexOf((byte)'"');
        if (quote < 0)
        {
            return false;
        }

        value = new Range(start, start + quote);
        at = start + quote + 1;
        return true;
    }

    private static bool TryNumber(ReadOnlySpan<byte> message, ref int at, ReadOnlySpan<byte> key, out long value)
    {
        value = 0;
        if (!message[at..].StartsWith(key) || !Utf8Parser.TryParse(message[(at + key.Length)..], out value, out var consumed))
        {
            return false;
        }

        at += key.Length + consumed;
        return true;
    }

    private static void Append(Span<byte> destination, ref int length, ReadOnlySpan<byte> value)
    {
        value.CopyTo(destination[length..]);
        length += value.Length;
    }
}
