using System.Buffers;
using System.Buffers.Text;
using System.Text.Json;
using SharedCanvas.Realtime.Auth;

namespace SharedCanvas.Realtime.Protocol;

/// <summary>The server's messages (docs/protocol.md §3–4), written as UTF-8 JSON.</summary>
public static class ServerMessages
{
    private static readonly JsonWriterOptions WriterOptions = new() { Indented = false };

    public static byte[] Welcome(BoardPrincipal principal, string connectionId, string color, string server, long head, OpLimits limits,
        Extensions.RealtimeOptions options) =>
        Write(writer =>
        {
            writer.WriteString("type", "welcome");
            writer.WriteNumber("v", 1);
            writer.WriteString("board", principal.BoardId);
            writer.WriteString("server", server);
            writer.WriteStartObject("me");
            writer.WriteString("user", principal.UserId);
            writer.WriteString("name", principal.Name);
            writer.WriteString("role", principal.Role.ToWire());
            writer.WriteString("color", color);
            writer.WriteString("conn", connectionId);
            writer.WriteEndObject();
            writer.WriteNumber("head", head);
            writer.WriteNumber("expiresAt", principal.ExpiresAt.ToUnixTimeSeconds());
            writer.WriteNumber("traceSampleRatio", options.TraceSampleRatio);
            writer.WriteStartObject("limits");
            writer.WriteNumber("maxMessageBytes", options.MaxMessageBytes);
            writer.WriteNumber("messagesPerSecond", options.MessagesPerSecond);
            writer.WriteNumber("addsPerSecond", options.AddsPerSecond);
            writer.WriteNumber("maxPointsPerBatch", limits.MaxPointsPerBatch);
            writer.WriteNumber("maxTextLength", limits.MaxTextLength);
            writer.WriteEndObject();
        });

    public static byte[] Error(string code, string message, long? n = null) =>
        Write(writer =>
        {
            writer.WriteString("type", "error");
            writer.WriteString("code", code);
            writer.WriteString("message", message);
            if (n is { } number)
            {
                writer.WriteNumber("n", number);
            }
        });

    public static byte[] Synced(long seq) => Write(writer =>
    {
        writer.WriteString("type", "synced");
        writer.WriteNumber("seq", seq);
    });

    public static byte[] AuthOk(DateTimeOffset expiresAt) => Write(writer =>
    {
        writer.WriteString("type", "auth.ok");
        writer.WriteNumber("expiresAt", expiresAt.ToUnixTimeSeconds());
    });

    public static byte[] Pong(double t) => Write(writer =>
    {
        writer.WriteString("type", "pong");
        writer.WriteNumber("t", t);
    });

    /// <summary><c>{"type":"snapshot","seq":S,"elements":[…]}</c> around elements already serialized as a JSON array.</summary>
    public static byte[] Snapshot(long seq, ReadOnlySpan<byte> elementsArray) => Elements("{\"type\":\"snapshot\",\"seq\":"u8, seq, elementsArray);

    /// <summary><c>{"type":"version","seq":S,"elements":[…]}</c>: the board as it was at S (protocol §4.9), shaped as a snapshot.</summary>
    public static byte[] Version(long seq, ReadOnlySpan<byte> elementsArray) => Elements("{\"type\":\"version\",\"seq\":"u8, seq, elementsArray);

    /// <summary><paramref name="prefix"/>, the sequence number, then <c>,"elements":</c> and the elements' JSON array.</summary>
    private static byte[] Elements(ReadOnlySpan<byte> prefix, long seq, ReadOnlySpan<byte> elementsArray)
    {
        ReadOnlySpan<byte> middle = ",\"elements\":"u8;
        Span<byte> digits = stackalloc byte[20];
        Utf8Formatter.TryFormat(seq, digits, out var written);
        // Sized exactly, so that a board of megabytes is not copied a second time to trim it.
        var buffer = new byte[prefix.Length + written + middle.Length + elementsArray.Length + 1];
        var span = buffer.AsSpan();
        prefix.CopyTo(span);
        var length = prefix.Length;
        digits[..written].CopyTo(span[length..]);
        length += written;
        middle.CopyTo(span[length..]);
        length += middle.Length;
        elementsArray.CopyTo(span[length..]);
        length += elementsArray.Length;
        span[length] = (byte)'}';
        return buffer;
    }

    /// <summary>
    /// <c>{"type":"history","head":H,"first":F,"moments":[{"from","to","start","end","authors","count"}…],"checkpoints":[{"seq","at"}…]}</c>
    /// (protocol §4.9); times in Unix milliseconds, <c>first</c> null when no version can be shown.
    /// </summary>
    public static byte[] History(
        long head, long? first,
        IEnumerable<(long From, long To, DateTime Start, DateTime End, IReadOnlyList<string> Authors, int Count)> moments,
        IEnumerable<(long Seq, DateTime At)> checkpoints) => Write(writer =>
    {
        writer.WriteString("type", "history");
        writer.WriteNumber("head", head);
        if (first is { } f)
        {
            writer.WriteNumber("first", f);
        }
        else
        {
            writer.WriteNull("first");
        }

        writer.WriteStartArray("moments");
        foreach (var moment in moments)
        {
            writer.WriteStartObject();
            writer.WriteNumber("from", moment.From);
            writer.WriteNumber("to", moment.To);
            writer.WriteNumber("start", new DateTimeOffset(moment.Start, TimeSpan.Zero).ToUnixTimeMilliseconds());
            writer.WriteNumber("end", new DateTimeOffset(moment.End, TimeSpan.Zero).ToUnixTimeMilliseconds());
            writer.WriteStartArray("authors");
            foreach (var author in moment.Authors)
            {
                writer.WriteStringValue(author);
            }

            writer.WriteEndArray();
            writer.WriteNumber("count", moment.Count);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteStartArray("checkpoints");
        foreach (var checkpoint in checkpoints)
        {
            writer.WriteStartObject();
            writer.WriteNumber("seq", checkpoint.Seq);
            writer.WriteNumber("at", new DateTimeOffset(checkpoint.At, TimeSpan.Zero).ToUnixTimeMilliseconds());
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    });

    /// <summary><c>{"type":"ack","n":N,"seq":S}</c>, with <c>"dup":true</c> for a resend.</summary>
    public static byte[] Ack(long n, long seq, bool duplicate)
    {
        Span<byte> buffer = stackalloc byte[96];
        ReadOnlySpan<byte> prefix = "{\"type\":\"ack\",\"n\":"u8;
        prefix.CopyTo(buffer);
        var length = prefix.Length;
        Utf8Formatter.TryFormat(n, buffer[length..], out var written);
        length += written;
        if (seq > 0)
        {
            ",\"seq\":"u8.CopyTo(buffer[length..]);
            length += 7;
            Utf8Formatter.TryFormat(seq, buffer[length..], out written);
            length += written;
        }

        if (duplicate)
        {
            ",\"dup\":true"u8.CopyTo(buffer[length..]);
            length += 11;
        }

        buffer[length++] = (byte)'}';
        return buffer[..length].ToArray();
    }

    private static byte[] Write(Action<Utf8JsonWriter> body)
    {
        var output = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(output, WriterOptions))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }

        return output.WrittenSpan.ToArray();
    }
}
