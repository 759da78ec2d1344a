using System.Text;
using System.Text.Json;

namespace SharedCanvas.Realtime.Protocol;

public enum OpKind
{
    Add,
    Points,
    End,
    Update,
    Delete,
    Restore,
    Clear,
}

/// <summary>What the server needs to know of a valid operation: its kind and the element it names.</summary>
public struct OpInfo
{
    public OpKind Kind;

    /// <summary>The element id (of <c>el.id</c> or <c>id</c>), as a range of the operation's bytes; empty if none.</summary>
    public Range ElementId;

    public int PointCount;
}

/// <summary>Limits that bound an operation (see docs/security.md).</summary>
public readonly record struct OpLimits(int MaxPointsPerBatch, int MaxTextLength);

/// <summary>
/// Checks one operation against the schema of docs/protocol.md §5: the fields each kind takes, element
/// ids, finite and bounded numbers, point counts, colours, widths, text lengths. Returns null when the
/// operation is valid, else a short reason for the client's <c>error</c> frame. Allocates nothing.
/// </summary>
public static partial class OpValidator
{
    /// <summary>Board coordinates lie within ±1,000,000.</summary>
    public const double CoordinateLimit = 1_000_000;

    public const int MaxIds = 1000;

    [Flags]
    private enum Key : ushort
    {
        None = 0,
        K = 1 << 0,
        Id = 1 << 1,
        Ids = 1 << 2,
        El = 1 << 3,
        Pts = 1 << 4,
        Dx = 1 << 5,
        Dy = 1 << 6,
        Set = 1 << 7,
        If = 1 << 8,
        Ref = 1 << 9,
        Unknown = 1 << 15,
    }

    public static string? Validate(ReadOnlySpan<byte> op, in OpLimits limits, out OpInfo info)
    {
        info = default;
        try
        {
            return ValidateCore(op, limits, ref info);
        }
        catch (JsonException)
        {
            return "op is not valid JSON";
        }
        catch (InvalidOperationException)
        {
            return "a value in op has the wrong type";
        }
    }

    private static string? ValidateCore(ReadOnlySpan<byte> op, in OpLimits limits, ref OpInfo info)
    {
        var reader = new Utf8JsonReader(op, isFinalBlock: true, new JsonReaderState(ClientMessageReader.ReaderOptions));
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return "op must be an object";
        }

        var seen = Key.None;
        OpKind? kind = null;
        Range el = default, pts = default, set = default, condition = default;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var key = KeyOf(ref reader);
            if (key == Key.Unknown)
            {
                return "op has an unknown field";
            }

            if ((seen & key) != 0)
            {
                return "op has a field twice";
            }

            seen |= key;
            reader.Read();
            switch (key)
            {
                case Key.K:
                    kind = KindOf(ref reader);
                    if (kind is null)
                    {
                        return "k must be add, points, end, update, delete, restore or clear";
                    }

                    break;
                case Key.Id:
                    if (!TryElementId(ref reader, out info.ElementId))
                    {
                        return "id must be 1-64 characters of A-Z a-z 0-9 _ -";
                    }

                    break;
                case Key.Ids:
                    if (ValidateIds(ref reader) is { } idsError)
                    {
                        return idsError;
                    }

                    break;
                case Key.Dx:
                case Key.Dy:
                    if (reader.TokenType != JsonTokenType.Number || !reader.TryGetDouble(out var delta)
                        || !double.IsFinite(delta) || Math.Abs(delta) > 2 * CoordinateLimit)
                    {
                        return "dx and dy must be finite numbers within bounds";
                    }

                    break;
                case Key.Ref:
                    if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out var reference) || reference < 1)
                    {
                        return "ref must be a sequence number";
                    }

                    break;
                case Key.El:
                case Key.Set:
                case Key.If:
                    if (reader.TokenType != JsonTokenType.StartObject)
                    {
                        return "el, set and if must be objects";
                    }

                    var objectRange = SkipAndRange(ref reader);
                    if (key == Key.El)
                    {
                        el = objectRange;
                    }
                    else if (key == Key.Set)
                    {
                        set = objectRange;
                    }
                    else
                    {
                        condition = objectRange;
                    }

                    break;
                case Key.Pts:
                    if (reader.TokenType != JsonTokenType.StartArray)
                    {
                        return "pts must be an array of numbers";
                    }

                    pts = SkipAndRange(ref reader);
                    break;
            }
        }

        if (kind is not { } k)
        {
            return "k is required";
        }

        info.Kind = k;
        switch (k)
        {
            case OpKind.Add:
                if (seen != (Key.K | Key.El))
                {
                    return "add takes k and el";
                }

                return ValidateElement(op[el], limits, el.Start.Value, ref info);

            case OpKind.Points:
                if (seen != (Key.K | Key.Id | Key.Pts))
                {
                    return "points takes k, id and pts";
                }

                return ValidatePoints(op[pts], stride: 3, minPoints: 1, maxPoints: limits.MaxPointsPerBatch, out info.PointCount);

            case OpKind.End:
                if ((seen & ~Key.Pts) != (Key.K | Key.Id))
                {
                    return "end takes k, id and optionally pts";
                }

                return (seen & Key.Pts) != 0
                    ? ValidatePoints(op[pts], stride: 2, minPoints: 1, maxPoints: limits.MaxPointsPerBatch * 3 / 2, out info.PointCount)
                    : null;

            case OpKind.Update:
                if ((seen & Key.Ids) != 0)
                {
                    return (seen & ~(Key.Dx | Key.Dy)) == (Key.K | Key.Ids) && (seen & (Key.Dx | Key.Dy)) != 0
                        ? null
                        : "a move takes k, ids, dx and dy";
                }

                if ((seen & ~Key.If) != (Key.K | Key.Id | Key.Set))
                {
                    return "update takes k with ids, dx, dy or with id, set and optionally if";
                }

                return ValidateFields(op[set], limits) ?? ((seen & Key.If) != 0 ? ValidateFields(op[condition], limits) : null);

            case OpKind.Delete:
                return seen == (Key.K | Key.Ids) ? null : "delete takes k and ids";

            case OpKind.Restore:
                return seen == (Key.K | Key.Ref) ? null : "restore takes k and ref";

            case OpKind.Clear:
                return seen == Key.K ? null : "clear takes only k";

            default:
                return "unknown k";
        }
    }

    private static Range SkipAndRange(ref Utf8JsonReader reader)
    {
        var start = (int)reader.TokenStartIndex;
        reader.Skip();
        return new Range(start, (int)reader.BytesConsumed);
    }

    private static Key KeyOf(ref Utf8JsonReader reader)
    {
        var name = ClientMessageReader.PropertyName(ref reader);
        return name switch
        {
            [(byte)'k'] => Key.K,
            [(byte)'i', (byte)'d'] => Key.Id,
            [(byte)'e', (byte)'l'] => Key.El,
            [(byte)'d', (byte)'x'] => Key.Dx,
            [(byte)'d', (byte)'y'] => Key.Dy,
            [(byte)'i', (byte)'f'] => Key.If,
            _ when name.SequenceEqual("ids"u8) => Key.Ids,
            _ when name.SequenceEqual("pts"u8) => Key.Pts,
            _ when name.SequenceEqual("set"u8) => Key.Set,
            _ when name.SequenceEqual("ref"u8) => Key.Ref,
            _ => Key.Unknown,
        };
    }

    private static OpKind? KindOf(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.String || reader.ValueIsEscaped)
        {
            return null;
        }

        var value = reader.ValueSpan;
        if (value.SequenceEqual("points"u8)) return OpKind.Points;
        if (value.SequenceEqual("add"u8)) return OpKind.Add;
        if (value.SequenceEqual("end"u8)) return OpKind.End;
        if (value.SequenceEqual("update"u8)) return OpKind.Update;
        if (value.SequenceEqual("delete"u8)) return OpKind.Delete;
        if (value.SequenceEqual("restore"u8)) return OpKind.Restore;
        if (value.SequenceEqual("clear"u8)) return OpKind.Clear;
        return null;
    }

    private static bool TryElementId(ref Utf8JsonReader reader, out Range range) =>
        ClientMessageReader.TryStringRange(ref reader, 64, out range)
        && reader.ValueSpan.Length >= 1
        && ClientIds.IsIdBytes(reader.ValueSpan);

    private static string? ValidateIds(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            return "ids must be an array of element ids";
        }

        var count = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (!TryElementId(ref reader, out _))
            {
                return "ids must be an array of element ids";
            }

            if (++count > MaxIds)
            {
                return "ids holds more than 1000 element ids";
            }
        }

        return count == 0 ? "ids is empty" : null;
    }
}
