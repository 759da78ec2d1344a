using System.Text;
using System.Text.Json;

namespace SharedCanvas.Realtime.Protocol;

/// <summary>
/// Parses a client's message (docs/protocol.md §3–4) without allocating: it checks the envelope and
/// remembers where the values are. The operation inside an <c>op</c> is checked by <see cref="OpValidator"/>.
/// (Somewhat over 300 lines, on purpose: the envelope's whole schema is read in one pass over the bytes,
/// and its rules are easier to check against the protocol when they are read together.)
/// </summary>
public static class ClientMessageReader
{
    internal static readonly JsonReaderOptions ReaderOptions = new()
    {
        MaxDepth = 16,
        CommentHandling = JsonCommentHandling.Disallow,
        AllowTrailingCommas = false,
    };

    private const int MaxTokenLength = 8192;

    /// <summary>2^53 − 1: the largest integer JavaScript (the board page) and Lua (the append script) hold exactly.</summary>
    public const long MaxSafeInteger = 9007199254740991;

    [Flags]
    private enum Field : uint
    {
        None = 0,
        Type = 1 << 0,
        N = 1 << 1,
        Op = 1 << 2,
        Tp = 1 << 3,
        Client = 1 << 4,
        Since = 1 << 5,
        Token = 1 << 6,
        X = 1 << 7,
        Y = 1 << 8,
        T = 1 << 9,
        Batch = 1 << 10,
        Vx = 1 << 11,
        Vy = 1 << 12,
        Vw = 1 << 13,
        Vh = 1 << 14,
        View = Vx | Vy | Vw | Vh,
        At = 1 << 15,
        Seq = 1 << 16,
        Other = 1 << 17,
    }

    public static ParseStatus Parse(ReadOnlySpan<byte> json, out ClientMessage message, out string? detail)
    {
        message = default;
        detail = null;
        try
        {
            return ParseCore(json, ref message, ref detail);
        }
        catch (JsonException)
        {
            detail = "not valid JSON";
            return ParseStatus.InvalidJson;
        }
        catch (InvalidOperationException)
        {
            // A value of an unexpected kind was read (for example a string where a number belongs).
            detail = "a value has the wrong type";
            return ParseStatus.SchemaViolation;
        }
    }

    private static ParseStatus ParseCore(ReadOnlySpan<byte> json, ref ClientMessage message, ref string? detail)
    {
        var reader = new Utf8JsonReader(json, isFinalBlock: true, new JsonReaderState(ReaderOptions));
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            detail = "a message is a JSON object";
            return ParseStatus.InvalidJson;
        }

        var seen = Field.None;
        Range type = default;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var field = FieldOf(ref reader);
            if (field != Field.Other && (seen & field) != 0)
            {
                detail = "a property appears twice";
                return ParseStatus.SchemaViolation;
            }

            seen |= field;
            reader.Read();
            switch (field)
            {
                case Field.Type:
                    if (!TryStringRange(ref reader, 32, out type))
                    {
                        detail = "type must be a short string";
                        return ParseStatus.SchemaViolation;
                    }

                    break;
                case Field.N:
                    if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out message.N) || message.N < 1 || message.N > MaxSafeInteger)
                    {
                        detail = "n must be a positive integer up to 2^53-1";
                        return ParseStatus.SchemaViolation;
                    }

                    break;
                case Field.Op:
                    if (reader.TokenType != JsonTokenType.StartObject)
                    {
                        detail = "op must be an object";
                        return ParseStatus.SchemaViolation;
                    }

                    var start = (int)reader.TokenStartIndex;
                    reader.Skip();
                    message.Op = new Range(start, (int)reader.BytesConsumed);
                    break;
                case Field.Tp:
                    if (!TryStringRange(ref reader, 55, out message.TraceParent) || !TraceParents.IsValid(json[message.TraceParent]))
                    {
                        detail = "tp must be a W3C traceparent";
                        return ParseStatus.SchemaViolation;
                    }

                    break;
                case Field.At:
                    // A claim of the sender's, relayed for the receivers' glass-to-glass latency only.
                    if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out message.At) || message.At < 1 || message.At > MaxSafeInteger)
                    {
                        detail = "at must be a time in Unix milliseconds";
                        return ParseStatus.SchemaViolation;
                    }

                    break;
                case Field.Client:
                    if (!TryStringRange(ref reader, 64, out message.Client) || !ClientIds.IsValid(json[message.Client]))
                    {
                        detail = "client must be 8-64 characters of A-Z a-z 0-9 _ -";
                        return ParseStatus.SchemaViolation;
                    }

                    break;
                case Field.Seq:
                    if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out message.Seq) || message.Seq < 0 || message.Seq > MaxSafeInteger)
                    {
                        detail = "seq must be a sequence number";
                        return ParseStatus.SchemaViolation;
                    }

                    break;
                case Field.Since:
                    if (reader.TokenType == JsonTokenType.Null)
                    {
                        break;
                    }

                    if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out message.Since) || message.Since < 0)
                    {
                        detail = "since must be a sequence number";
                        return ParseStatus.SchemaViolation;
                    }

                    message.HasSince = true;
                    break;
                case Field.Batch:
                    if (reader.TokenType is not (JsonTokenType.True or JsonTokenType.False))
                    {
                        detail = "batch must be true or false";
                        return ParseStatus.SchemaViolation;
                    }

                    message.Batch = reader.TokenType == JsonTokenType.True;
                    break;
                case Field.Token:
                    if (!TryStringRange(ref reader, MaxTokenLength, out message.Token))
                    {
                        detail = "token must be a string";
                        return ParseStatus.SchemaViolation;
                    }

                    break;
                case Field.Vx:
                case Field.Vy:
                case Field.Vw:
                case Field.Vh:
                    // A view is a rectangle within the coordinate limits, with a positive width and height.
                    if (!TryCoordinate(ref reader, out var edge) || (field is Field.Vw or Field.Vh && edge <= 0))
                    {
                        detail = "a cursor's view is vx, vy within bounds and vw, vh positive";
                        return ParseStatus.SchemaViolation;
                    }

                    _ = field switch
                    {
                        Field.Vx => message.ViewX = edge,
                        Field.Vy => message.ViewY = edge,
                        Field.Vw => message.ViewWidth = edge,
                        _ => message.ViewHeight = edge,
                    };
                    break;
                case Field.X:
                case Field.Y:
                    if (reader.TokenType == JsonTokenType.Null)
                    {
                        message.CursorGone = true;
                        break;
                    }

                    if (!TryCoordinate(ref reader, out var coordinate))
                    {
                        detail = "cursor coordinates must be finite numbers within bounds";
                        return ParseStatus.SchemaViolation;
                    }

                    if (field == Field.X)
                    {
                        message.X = coordinate;
                    }
                    else
                    {
                        message.Y = coordinate;
                    }

                    break;
                case Field.T:
                    if (reader.TokenType != JsonTokenType.Number || !reader.TryGetDouble(out message.PingT) || !double.IsFinite(message.PingT))
                    {
                        detail = "t must be a number";
                        return ParseStatus.SchemaViolation;
                    }

                    break;
                default:
                    // Unknown properties are ignored, so that newer clients can add some.
                    reader.Skip();
                    break;
            }
        }

        if (reader.TokenType != JsonTokenType.EndObject)
        {
            detail = "not valid JSON";
            return ParseStatus.InvalidJson;
        }

        // Nothing may follow the object (the reader throws on anything but whitespace).
        reader.Read();

        if ((seen & Field.Type) == 0)
        {
            detail = "type is required";
            return ParseStatus.SchemaViolation;
        }

        var typeName = json[type];
        if (typeName.SequenceEqual("op"u8))
        {
            message.Type = ClientMessageType.Op;
            return Require(seen, Field.N | Field.Op, "op needs n and op", ref detail);
        }

        if (typeName.SequenceEqual("cursor"u8))
        {
            message.Type = ClientMessageType.Cursor;
            if ((seen & Field.View) != 0 && (seen & Field.View) != Field.View)
            {
                detail = "a cursor's view needs vx, vy, vw and vh";
                return ParseStatus.SchemaViolation;
            }

            message.HasView = (seen & Field.View) == Field.View;
            return Require(seen, Field.X | Field.Y, "cursor needs x and y", ref detail);
        }

        if (typeName.SequenceEqual("hello"u8))
        {
            message.Type = ClientMessageType.Hello;
            return Require(seen, Field.Client, "hello needs client", ref detail);
        }

        if (typeName.SequenceEqual("auth"u8))
        {
            message.Type = ClientMessageType.Auth;
            return Require(seen, Field.Token, "auth needs token", ref detail);
        }

        if (typeName.SequenceEqual("ping"u8))
        {
            message.Type = ClientMessageType.Ping;
            return ParseStatus.Ok;
        }

        if (typeName.SequenceEqual("history"u8))
        {
            message.Type = ClientMessageType.History;
            return ParseStatus.Ok;
        }

        if (typeName.SequenceEqual("version"u8))
        {
            message.Type = ClientMessageType.Version;
            return Require(seen, Field.Seq, "version needs seq", ref detail);
        }

        message.Type = ClientMessageType.Unknown;
        detail = "unknown message type";
        return ParseStatus.UnknownType;
    }

    private static ParseStatus Require(Field seen, Field required, string message, ref string? detail)
    {
        if ((seen & required) == required)
        {
            return ParseStatus.Ok;
        }

        detail = message;
        return ParseStatus.SchemaViolation;
    }

    /// <summary>
    /// The name of the property the reader is on, unescaped: <c>"\u0074ype"</c> is <c>type</c>, so a name cannot
    /// be written twice by escaping it once. Only escaped names (never sent by honest clients) allocate.
    /// </summary>
    internal static ReadOnlySpan<byte> PropertyName(ref Utf8JsonReader reader) =>
        reader.ValueIsEscaped ? Encoding.UTF8.GetBytes(reader.GetString()!) : reader.ValueSpan;

    private static Field FieldOf(ref Utf8JsonReader reader)
    {
        var name = PropertyName(ref reader);
        return name.Length switch
        {
            1 when name[0] == (byte)'n' => Field.N,
            1 when name[0] == (byte)'x' => Field.X,
            1 when name[0] == (byte)'y' => Field.Y,
            1 when name[0] == (byte)'t' => Field.T,
            2 when name.SequenceEqual("op"u8) => Field.Op,
            2 when name.SequenceEqual("tp"u8) => Field.Tp,
            2 when name.SequenceEqual("at"u8) => Field.At,
            2 when name.SequenceEqual("vx"u8) => Field.Vx,
            2 when name.SequenceEqual("vy"u8) => Field.Vy,
            2 when name.SequenceEqual("vw"u8) => Field.Vw,
            2 when name.SequenceEqual("vh"u8) => Field.Vh,
            3 when name.SequenceEqual("seq"u8) => Field.Seq,
            4 when name.SequenceEqual("type"u8) => Field.Type,
            5 when name.SequenceEqual("since"u8) => Field.Since,
            5 when name.SequenceEqual("token"u8) => Field.Token,
            5 when name.SequenceEqual("batch"u8) => Field.Batch,
            6 when name.SequenceEqual("client"u8) => Field.Client,
            _ => Field.Other,
        };
    }

    /// <summary>A string value without escapes, as a range of the message's bytes.</summary>
    internal static bool TryStringRange(ref Utf8JsonReader reader, int maxLength, out Range range)
    {
        range = default;
        if (reader.TokenType != JsonTokenType.String || reader.ValueIsEscaped || reader.ValueSpan.Length > maxLength)
        {
            return false;
        }

        var start = (int)reader.TokenStartIndex + 1;
        range = new Range(start, start + reader.ValueSpan.Length);
        return true;
    }

    internal static bool TryCoordinate(ref Utf8JsonReader reader, out double value)
    {
        value = 0;
        return reader.TokenType == JsonTokenType.Number
            && reader.TryGetDouble(out value)
            && double.IsFinite(value)
            && Math.Abs(value) <= OpValidator.CoordinateLimit;
    }
}

/// <summary>Client ids: 8–64 characters of <c>[A-Za-z0-9_-]</c>.</summary>
public static class ClientIds
{
    public static bool IsValid(ReadOnlySpan<byte> id) => id.Length is >= 8 and <= 64 && IsIdBytes(id);

    internal static bool IsIdBytes(ReadOnlySpan<byte> id)
    {
        foreach (var b in id)
        {
            if (b is not ((>= (byte)'a' and <= (byte)'z') or (>= (byte)'A' and <= (byte)'Z') or (>= (byte)'0' and <= (byte)'9') or (byte)'_' or (byte)'-'))
            {
                return false;
            }
        }

        return true;
    }
}

/// <summary>W3C trace context <c>traceparent</c>, version 00: <c>00-{32 hex}-{16 hex}-{2 hex}</c>.</summary>
public static class TraceParents
{
    public static bool IsValid(ReadOnlySpan<byte> value)
    {
        if (value.Length != 55 || value[0] != (byte)'0' || value[1] != (byte)'0'
            || value[2] != (byte)'-' || value[35] != (byte)'-' || value[52] != (byte)'-')
        {
            return false;
        }

        return IsLowerHex(value.Slice(3, 32), nonZero: true)
            && IsLowerHex(value.Slice(36, 16), nonZero: true)
            && IsLowerHex(value.Slice(53, 2), nonZero: false);
    }

    private static bool IsLowerHex(ReadOnlySpan<byte> value, bool nonZero)
    {
        var anyNonZero = false;
        foreach (var b in value)
        {
            if (b is not ((>= (byte)'0' and <= (byte)'9') or (>= (byte)'a' and <= (byte)'f')))
            {
                return false;
            }

            anyNonZero |= b != (byte)'0';
        }

        return anyNonZero || !nonZero;
    }
}
