using System.Buffers;
using System.Text.Json;

namespace SharedCanvas.Realtime.Fanout;

/// <summary>The presence and cursor messages of protocol v1 (docs/protocol.md §4.5–4.6); never stored in the log.</summary>
public static class PresenceMessages
{
    /// <summary>How long a presence entry lives unless its replica refreshes it (a replica that died stops refreshing).</summary>
    public static readonly TimeSpan EntryLifetime = TimeSpan.FromSeconds(30);

    public static byte[] Entry(IBoardMember connection, DateTimeOffset expires) => Write(writer =>
    {
        WriteUser(writer, connection);
        writer.WriteNumber("exp", expires.ToUnixTimeMilliseconds());
    });

    public static byte[] Join(IBoardMember connection) => Write(writer =>
    {
        writer.WriteString("type", "presence.join");
        writer.WriteStartObject("user");
        WriteUser(writer, connection);
        writer.WriteEndObject();
    });

    public static byte[] Leave(string connectionId) => Write(writer =>
    {
        writer.WriteString("type", "presence.leave");
        writer.WriteString("conn", connectionId);
    });

    /// <summary>The full list from stored entries, leaving out expired ones.</summary>
    public static byte[] List(IEnumerable<byte[]> entries, long nowMs) => Write(writer =>
    {
        writer.WriteString("type", "presence");
        writer.WriteStartArray("users");
        foreach (var entry in entries)
        {
            using var document = JsonDocument.Parse(entry);
            var root = document.RootElement;
            if (root.GetProperty("exp").GetInt64() <= nowMs)
            {
                continue;
            }

            writer.WriteStartObject();
            foreach (var property in root.EnumerateObject())
            {
                if (property.Name != "exp")
                {
                    property.WriteTo(writer);
                }
            }

            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    });

    public static bool IsExpired(byte[] entry, long nowMs)
    {
        using var document = JsonDocument.Parse(entry);
        return document.RootElement.GetProperty("exp").GetInt64() <= nowMs;
    }

    /// <summary>
    /// <c>{"type":"cursors","c":[{"conn":…,"x":…,"y":…,"v":[x,y,w,h]}]}</c>; x and y null for a pointer that left;
    /// <c>v</c>, the sender's visible board rectangle, once they sent one.
    /// </summary>
    public static byte[] Cursors(IReadOnlyList<(string Conn, CursorMove Cursor)> cursors) => Write(writer =>
    {
        writer.WriteString("type", "cursors");
        writer.WriteStartArray("c");
        foreach (var (conn, (x, y, gone, view)) in cursors)
        {
            writer.WriteStartObject();
            writer.WriteString("conn", conn);
            if (gone)
            {
                writer.WriteNull("x");
                writer.WriteNull("y");
            }
            else
            {
                writer.WriteNumber("x", Math.Round(x, 1));
                writer.WriteNumber("y", Math.Round(y, 1));
            }

            if (view is { } v)
            {
                writer.WriteStartArray("v");
                writer.WriteNumberValue(Math.Round(v.X, 1));
                writer.WriteNumberValue(Math.Round(v.Y, 1));
                writer.WriteNumberValue(Math.Round(v.Width, 1));
                writer.WriteNumberValue(Math.Round(v.Height, 1));
                writer.WriteEndArray();
            }

            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    });

    private static void WriteUser(Utf8JsonWriter writer, IBoardMember connection)
    {
        var principal = connection.Principal;
        writer.WriteString("conn", connection.Id);
        writer.WriteString("user", principal.UserId);
        writer.WriteString("name", principal.Name);
        writer.WriteString("color", connection.Color);
        writer.WriteString("role", Auth.BoardRoles.ToWire(principal.Role));
    }

    private static byte[] Write(Action<Utf8JsonWriter> body)
    {
        var output = new ArrayBufferWriter<byte>(128);
        using (var writer = new Utf8JsonWriter(output))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }

        return output.WrittenSpan.ToArray();
    }
}
