using System.Buffers.Text;
using System.Text;
using System.Text.Json;

namespace SharedCanvas.Realtime.Protocol;

/// <summary>
/// The server's form of an operation, as stored in the board's log and broadcast to every socket
/// (docs/protocol.md §4.3): <c>{"type":"op","seq":S,"client":"C","n":N,"author":"U","ts":T,"tp":"…","op":{…}}</c>.
/// The log script writes the head up to the sequence number; the server writes the rest (the tail) once,
/// and every replica forwards the same bytes to every socket.
/// </summary>
public static class OpEnvelope
{
    /// <summary>Everything before the sequence number, written by the log script.</summary>
    public static ReadOnlySpan<byte> Head => "{\"type\":\"op\",\"seq\":"u8;

    /// <summary>Upper bound of the tail's length besides the operation and the per-connection parts.</summary>
    public const int TailOverhead = 128;

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
    public static int WriteTail(Span<byte> destination, ReadOnlySpan<byte> clientPart, long n, ReadOnlySpan<byte> authorPart,
        long timestamp, ReadOnlySpan<byte> traceParent, ReadOnlySpan<byte> op)
    {
        var length = 0;
        Append(destination, ref length, clientPart);
        Append(destination, ref length, ",\"n\":"u8);
        Utf8Formatter.TryFormat(n, destination[length..], out var written);
        length += written;
        Append(destination, ref length, authorPart);
        Append(destination, ref length, ",\"ts\":"u8);
        Utf8Formatter.TryFormat(timestamp, destination[length..], out written);
        length += written;
        if (!traceParent.IsEmpty)
        {
            Append(destination, ref length, ",\"tp\":\""u8);
            Append(destination, ref length, traceParent);
            destination[length++] = (byte)'"';
        }

        Append(destination, ref length, ",\"op\":"u8);
        Append(destination, ref length, op);
        destination[length++] = (byte)'}';
        return length;
    }

    /// <summary>The room a tail needs.</summary>
    public static int TailLength(int clientPart, int authorPart, int op) => clientPart + authorPart + op + TailOverhead;

    /// <summary>True for an operation message (as opposed to presence or cursors on the same channel).</summary>
    public static bool IsOp(ReadOnlySpan<byte> message) => message.StartsWith(Head);

    /// <summary>Reads the sequence number, client id and operation number from the start of an operation message.</summary>
    public static bool TryReadHeader(ReadOnlySpan<byte> message, out long seq, out ReadOnlySpan<byte> client, out long n)
    {
        client = default;
        n = 0;
        seq = 0;
        if (!message.StartsWith(Head) || !Utf8Parser.TryParse(message[Head.Length..], out seq, out var consumed))
        {
            return false;
        }

        var rest = message[(Head.Length + consumed)..];
        ReadOnlySpan<byte> clientKey = ",\"client\":\""u8;
        if (!rest.StartsWith(clientKey))
        {
            return false;
        }

        rest = rest[clientKey.Length..];
        var quote = rest.IndexOf((byte)'"');
        if (quote < 0)
        {
            return false;
        }

        client = rest[..quote];
        rest = rest[(quote + 1)..];
        ReadOnlySpan<byte> nKey = ",\"n\":"u8;
        return rest.StartsWith(nKey) && Utf8Parser.TryParse(rest[nKey.Length..], out n, out _);
    }

    private static void Append(Span<byte> destination, ref int length, ReadOnlySpan<byte> value)
    {
        value.CopyTo(destination[length..]);
        length += value.Length;
    }
}
