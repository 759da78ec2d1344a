using System.Text;
using System.Text.Json;

namespace SharedCanvas.Realtime.Protocol;

/// <summary>The rules for geometry, elements and styles of <see cref="OpValidator"/>.</summary>
public static partial class OpValidator
{
    /// <summary>Flat numbers, <paramref name="stride"/> per point; for stride 3 the third is a pressure in 0–1.</summary>
    private static string? ValidatePoints(ReadOnlySpan<byte> array, int stride, int minPoints, int maxPoints, out int points)
    {
        points = 0;
        var reader = new Utf8JsonReader(array, isFinalBlock: true, new JsonReaderState(ClientMessageReader.ReaderOptions));
        reader.Read();
        var count = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetDouble(out var value) || !double.IsFinite(value))
            {
                return "pts must hold finite numbers";
            }

            var isPressure = stride == 3 && count % 3 == 2;
            if (isPressure ? value is < 0 or > 1 : Math.Abs(value) > CoordinateLimit)
            {
                return isPressure ? "pressure must lie in 0-1" : "coordinates must lie within ±1,000,000";
            }

            if (++count > maxPoints * stride)
            {
                return "pts holds too many points";
            }
        }

        if (count % stride != 0 || count < minPoints * stride)
        {
            return stride == 3 ? "pts must hold x, y, pressure triples" : "pts must hold x, y pairs";
        }

        points = count / stride;
        return null;
    }

    [Flags]
    private enum ElementKey : ushort
    {
        None = 0,
        Id = 1 << 0,
        T = 1 << 1,
        Color = 1 << 2,
        Width = 1 << 3,
        Opacity = 1 << 4,
        Fill = 1 << 5,
        Pts = 1 << 6,
        Text = 1 << 7,
        Size = 1 << 8,
        Done = 1 << 9,
        Rot = 1 << 10,
        Unknown = 1 << 15,
    }

    private static ElementKey ElementKeyOf(ref Utf8JsonReader reader)
    {
        var name = ClientMessageReader.PropertyName(ref reader);
        if (name.SequenceEqual("id"u8)) return ElementKey.Id;
        if (name.SequenceEqual("t"u8)) return ElementKey.T;
        if (name.SequenceEqual("pts"u8)) return ElementKey.Pts;
        if (name.SequenceEqual("color"u8)) return ElementKey.Color;
        if (name.SequenceEqual("width"u8)) return ElementKey.Width;
        if (name.SequenceEqual("opacity"u8)) return ElementKey.Opacity;
        if (name.SequenceEqual("fill"u8)) return ElementKey.Fill;
        if (name.SequenceEqual("text"u8)) return ElementKey.Text;
        if (name.SequenceEqual("size"u8)) return ElementKey.Size;
        if (name.SequenceEqual("done"u8)) return ElementKey.Done;
        if (name.SequenceEqual("rot"u8)) return ElementKey.Rot;
        return ElementKey.Unknown;
    }

    private enum ElementType
    {
        None,
        Freehand,
        TwoPoint,
        Text,
    }

    private static string? ValidateElement(ReadOnlySpan<byte> element, in OpLimits limits, int offset, ref OpInfo info)
    {
        var reader = new Utf8JsonReader(element, isFinalBlock: true, new JsonReaderState(ClientMessageReader.ReaderOptions));
        reader.Read();
        var seen = ElementKey.None;
        var type = ElementType.None;
        Range pts = default;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var key = ElementKeyOf(ref reader);
            if (key == ElementKey.Unknown)
            {
                return "el has an unknown field";
            }

            if ((seen & key) != 0)
            {
                return "el has a field twice";
            }

            seen |= key;
            reader.Read();
            switch (key)
            {
                case ElementKey.Id:
                    if (!TryElementId(ref reader, out var id))
                    {
                        return "el.id must be 1-64 characters of A-Z a-z 0-9 _ -";
                    }

                    info.ElementId = new Range(id.Start.Value + offset, id.End.Value + offset);
                    break;
                case ElementKey.T:
                    type = ElementTypeOf(ref reader);
                    if (type == ElementType.None)
                    {
                        return "el.t must be pen, highlighter, line, arrow, rect, ellipse or text";
                    }

                    break;
                case ElementKey.Pts:
                    if (reader.TokenType != JsonTokenType.StartArray)
                    {
                        return "el.pts must be an array of numbers";
                    }

                    pts = SkipAndRange(ref reader);
                    break;
                case ElementKey.Done:
                    if (reader.TokenType is not (JsonTokenType.True or JsonTokenType.False))
                    {
                        return "el.done must be true or false";
                    }

                    break;
                default:
                    if (ValidateStyleValue((StyleField)(ushort)key, ref reader, limits) is { } styleError)
                    {
                        return styleError;
                    }

                    break;
            }
        }

        if ((seen & (ElementKey.Id | ElementKey.T | ElementKey.Pts)) != (ElementKey.Id | ElementKey.T | ElementKey.Pts))
        {
            return "el needs id, t and pts";
        }

        var isText = type == ElementType.Text;
        if (isText != ((seen & ElementKey.Text) != 0) || (!isText && (seen & ElementKey.Size) != 0))
        {
            return "text and size belong to text elements, and a text element needs text";
        }

        return type switch
        {
            ElementType.Freehand => ValidatePoints(element[pts], 3, 1, limits.MaxPointsPerBatch, out info.PointCount),
            ElementType.TwoPoint => ValidatePoints(element[pts], 2, 2, 2, out info.PointCount),
            _ => ValidatePoints(element[pts], 2, 1, 1, out info.PointCount),
        };
    }

    private static ElementType ElementTypeOf(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.String || reader.ValueIsEscaped)
        {
            return ElementType.None;
        }

        var value = reader.ValueSpan;
        if (value.SequenceEqual("pen"u8) || value.SequenceEqual("highlighter"u8)) return ElementType.Freehand;
        if (value.SequenceEqual("line"u8) || value.SequenceEqual("arrow"u8)
            || value.SequenceEqual("rect"u8) || value.SequenceEqual("ellipse"u8)) return ElementType.TwoPoint;
        if (value.SequenceEqual("text"u8)) return ElementType.Text;
        return ElementType.None;
    }

    // Style fields share their bit values with ElementKey, so one validator serves el, set and if.
    private enum StyleField : ushort
    {
        Color = 1 << 2,
        Width = 1 << 3,
        Opacity = 1 << 4,
        Fill = 1 << 5,
        Pts = 1 << 6,
        Text = 1 << 7,
        Size = 1 << 8,
        Rot = 1 << 10,
    }

    private static string? ValidateStyleValue(StyleField field, ref Utf8JsonReader reader, in OpLimits limits)
    {
        switch (field)
        {
            case StyleField.Color:
                if (reader.TokenType != JsonTokenType.String || reader.ValueIsEscaped || !IsHexColour(reader.ValueSpan))
                {
                    return "color must be #rrggbb";
                }

                return null;
            case StyleField.Width:
                return InRange(ref reader, 0.5, 200) ? null : "width must lie in 0.5-200";
            case StyleField.Opacity:
                return InRange(ref reader, 0.05, 1) ? null : "opacity must lie in 0.05-1";
            case StyleField.Size:
                return InRange(ref reader, 4, 400) ? null : "size must lie in 4-400";
            case StyleField.Rot:
                // Radians, one turn: the board page keeps angles in (-π, π], rounded to 4 decimals.
                return InRange(ref reader, -3.1416, 3.1416) ? null : "rot must lie in -3.1416-3.1416 (radians)";
            case StyleField.Fill:
                return reader.TokenType is JsonTokenType.True or JsonTokenType.False ? null : "fill must be true or false";
            case StyleField.Text:
                return ValidateText(ref reader, limits.MaxTextLength);
            default:
                return "unknown field";
        }
    }

    private static string? ValidateFields(ReadOnlySpan<byte> fields, in OpLimits limits)
    {
        var reader = new Utf8JsonReader(fields, isFinalBlock: true, new JsonReaderState(ClientMessageReader.ReaderOptions));
        reader.Read();
        var seen = ElementKey.None;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var key = ElementKeyOf(ref reader);
            if (key is ElementKey.Unknown or ElementKey.Id or ElementKey.T or ElementKey.Done)
            {
                return "set and if take color, width, opacity, fill, text, size, pts and rot";
            }

            if ((seen & key) != 0)
            {
                return "set or if has a field twice";
            }

            seen |= key;
            reader.Read();
            if (key == ElementKey.Pts)
            {
                if (reader.TokenType != JsonTokenType.StartArray)
                {
                    return "pts must be an array of numbers";
                }

                var range = SkipAndRange(ref reader);
                if (ValidatePoints(fields[range], 1, 1, limits.MaxPointsPerBatch * 3, out _) is { } pointsError)
                {
                    return pointsError;
                }

                continue;
            }

            if (ValidateStyleValue((StyleField)(ushort)key, ref reader, limits) is { } error)
            {
                return error;
            }
        }

        return seen == ElementKey.None ? "set and if must name at least one field" : null;
    }

    private static string? ValidateText(ref Utf8JsonReader reader, int maxLength)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            return "text must be a string";
        }

        // Every UTF-16 character takes at least one byte; measure exactly only when it could be too long.
        if (reader.ValueSpan.Length > maxLength)
        {
            var length = reader.ValueIsEscaped ? reader.GetString()!.Length : Encoding.UTF8.GetCharCount(reader.ValueSpan);
            if (length > maxLength)
            {
                return "text is too long";
            }
        }

        return null;
    }

    private static bool InRange(ref Utf8JsonReader reader, double min, double max) =>
        reader.TokenType == JsonTokenType.Number && reader.TryGetDouble(out var value) && value >= min && value <= max;

    private static bool IsHexColour(ReadOnlySpan<byte> value)
    {
        if (value.Length != 7 || value[0] != (byte)'#')
        {
            return false;
        }

        foreach (var b in value[1..])
        {
            if (b is not ((>= (byte)'0' and <= (byte)'9') or (>= (byte)'a' and <= (byte)'f') or (>= (byte)'A' and <= (byte)'F')))
            {
                return false;
            }
        }

        return true;
    }
}
