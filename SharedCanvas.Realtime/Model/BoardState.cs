using System.Text.Json;
using System.Text.Json.Serialization;
using SharedCanvas.Realtime.Protocol;

namespace SharedCanvas.Realtime.Model;

/// <summary>
/// A board folded from its operation log: the elements in board (drawing) order, as of sequence number
/// <see cref="Seq"/>. <see cref="Apply"/> is the same fold as the browser's <c>applyOp</c>
/// (wwwroot/js/board/model.js): every client and the saver end with the same elements in the same order.
/// </summary>
public sealed class BoardState
{
    private static readonly string[] Settable = ["color", "width", "opacity", "fill", "text", "size", "pts", "rot"];

    private readonly Dictionary<string, Element> _byId = new(StringComparer.Ordinal);
    private readonly List<Element> _order = [];

    public long Seq { get; private set; }

    public IReadOnlyList<Element> Elements => _order;

    public int Count => _order.Count;

    public static BoardState Load(long seq, ReadOnlySpan<byte> elementsJson)
    {
        var state = new BoardState { Seq = seq };
        foreach (var element in JsonSerializer.Deserialize(elementsJson, ElementJsonContext.Default.ListElement) ?? [])
        {
            state._byId[element.Id] = element;
            state._order.Add(element);
        }

        return state;
    }

    public byte[] SerializeElements() => JsonSerializer.SerializeToUtf8Bytes(_order, ElementJsonContext.Default.ListElement);

    /// <summary>Applies one stored operation message (<c>{"type":"op","seq":…,"author":…,"op":{…}}</c>).</summary>
    public void ApplyMessage(ReadOnlySpan<byte> message)
    {
        var reader = new Utf8JsonReader(message);
        using var document = JsonDocument.ParseValue(ref reader);
        var root = document.RootElement;
        Apply(root.GetProperty("seq").GetInt64(), root.GetProperty("author").GetString()!, root.GetProperty("op"));
    }

    /// <summary>Applies one operation at sequence number <paramref name="seq"/>. Anything that does not apply is ignored.</summary>
    public void Apply(long seq, string author, JsonElement op)
    {
        if (seq <= Seq)
        {
            return;
        }

        Seq = seq;
        switch (op.GetProperty("k").GetString())
        {
            case "add":
                Add(op.GetProperty("el"), author);
                break;
            case "points":
                if (Find(op, "id") is { } stroke && stroke.Author == author && !stroke.Done && stroke.IsFreehand)
                {
                    AppendNumbers(stroke.Pts, op.GetProperty("pts"));
                }

                break;
            case "end":
                if (Find(op, "id") is { } ended && ended.Author == author)
                {
                    ended.Done = true;
                    if (op.TryGetProperty("pts", out var finalPts) && finalPts.ValueKind == JsonValueKind.Array && Fits(ended.T, finalPts))
                    {
                        ended.Pts = Numbers(finalPts);
                    }
                }

                break;
            case "update":
                Update(op);
                break;
            case "delete":
                foreach (var id in op.GetProperty("ids").EnumerateArray())
                {
                    if (_byId.TryGetValue(id.GetString()!, out var element) && element.Deleted is null)
                    {
                        element.Deleted = seq;
                        element.DeletedBy = author;
                    }
                }

                break;
            case "restore":
                var reference = op.GetProperty("ref").GetInt64();
                foreach (var element in _order)
                {
                    if (element.Deleted == reference && element.DeletedBy == author)
                    {
                        element.Deleted = null;
                        element.DeletedBy = null;
                    }
                }

                break;
            case "clear":
                foreach (var element in _order)
                {
                    if (element.Deleted is null)
                    {
                        element.Deleted = seq;
                        element.DeletedBy = author;
                    }
                }

                break;
        }
    }

    private void Add(JsonElement el, string author)
    {
        var id = el.GetProperty("id").GetString()!;
        if (_byId.ContainsKey(id))
        {
            return;
        }

        var type = el.GetProperty("t").GetString()!;
        var element = new Element
        {
            Id = id,
            T = type,
            Author = author,
            Color = el.TryGetProperty("color", out var color) && color.ValueKind == JsonValueKind.String ? color.GetString()! : "#1e1e1e",
            Width = el.TryGetProperty("width", out var width) && width.ValueKind == JsonValueKind.Number ? width.GetDouble() : 4,
            Opacity = el.TryGetProperty("opacity", out var opacity) && opacity.ValueKind == JsonValueKind.Number ? opacity.GetDouble() : 1,
            Fill = el.TryGetProperty("fill", out var fill) && fill.ValueKind == JsonValueKind.True,
            Pts = el.TryGetProperty("pts", out var pts) && pts.ValueKind == JsonValueKind.Array ? Numbers(pts) : [],
            Text = el.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String ? text.GetString() : null,
            Size = el.TryGetProperty("size", out var size) && size.ValueKind == JsonValueKind.Number ? size.GetDouble() : null,
            Rot = el.TryGetProperty("rot", out var rot) && rot.ValueKind == JsonValueKind.Number ? rot.GetDouble() : null,
            Done = type == "text" || (el.TryGetProperty("done", out var done) && done.ValueKind == JsonValueKind.True),
        };
        _byId[id] = element;
        _order.Add(element);
    }

    private void Update(JsonElement op)
    {
        if (op.TryGetProperty("ids", out var ids))
        {
            var dx = op.TryGetProperty("dx", out var x) ? x.GetDouble() : 0;
            var dy = op.TryGetProperty("dy", out var y) ? y.GetDouble() : 0;
            foreach (var id in ids.EnumerateArray())
            {
                if (!_byId.TryGetValue(id.GetString()!, out var element))
                {
                    continue;
                }

                var stride = element.Stride;
                if (!MoveStaysInBounds(element.Pts, stride, dx, dy))
                {
                    continue;
                }

                for (var i = 0; i + 1 < element.Pts.Count; i += stride)
                {
                    element.Pts[i] += dx;
                    element.Pts[i + 1] += dy;
                }
            }

            return;
        }

        if (Find(op, "id") is not { } target || !op.TryGetProperty("set", out var set))
        {
            return;
        }

        var hasCondition = op.TryGetProperty("if", out var condition);
        foreach (var field in Settable)
        {
            if (!set.TryGetProperty(field, out var value))
            {
                continue;
            }

            if (hasCondition && condition.TryGetProperty(field, out var expected) && !HasValue(target, field, expected))
            {
                continue;
            }

            if (field == "pts" && !Fits(target.T, value))
            {
                continue;
            }

            SetValue(target, field, value);
        }
    }

    /// <summary>
    /// Whether <paramref name="pts"/> is geometry an element of type <paramref name="type"/> can have: pen and
    /// highlighter x, y, pressure triples (pressure 0–1), two corners for line, arrow, rect and ellipse, one
    /// anchor for text. The validator cannot know the type of the element an <c>update</c> or <c>end</c> names;
    /// the fold does, and ignores geometry that does not fit (docs/protocol.md §5.2).
    /// </summary>
    private static bool Fits(string type, JsonElement pts)
    {
        var count = pts.GetArrayLength();
        switch (type)
        {
            case "pen" or "highlighter":
                if (count < 3 || count % 3 != 0)
                {
                    return false;
                }

                var i = 0;
                foreach (var value in pts.EnumerateArray())
                {
                    if (i++ % 3 == 2 && value.GetDouble() is < 0 or > 1)
                    {
                        return false;
                    }
                }

                return true;
            case "line" or "arrow" or "rect" or "ellipse":
                return count == 4;
            case "text":
                return count == 2;
            default:
                return false;
        }
    }

    /// <summary>Whether moving every point by (<paramref name="dx"/>, <paramref name="dy"/>) keeps it within the coordinate limit.</summary>
    private static bool MoveStaysInBounds(List<double> pts, int stride, double dx, double dy)
    {
        for (var i = 0; i + 1 < pts.Count; i += stride)
        {
            if (Math.Abs(pts[i] + dx) > OpValidator.CoordinateLimit || Math.Abs(pts[i + 1] + dy) > OpValidator.CoordinateLimit)
            {
                return false;
            }
        }

        return true;
    }

    private Element? Find(JsonElement op, string property) =>
        op.TryGetProperty(property, out var id) && _byId.TryGetValue(id.GetString()!, out var element) ? element : null;

    /// <summary>JavaScript's <c>===</c> between the element's field and a JSON value (arrays element by element).</summary>
    private static bool HasValue(Element element, string field, JsonElement expected) => field switch
    {
        "color" => expected.ValueKind == JsonValueKind.String && expected.GetString() == element.Color,
        "width" => expected.ValueKind == JsonValueKind.Number && expected.GetDouble() == element.Width,
        "opacity" => expected.ValueKind == JsonValueKind.Number && expected.GetDouble() == element.Opacity,
        "fill" => expected.ValueKind is JsonValueKind.True or JsonValueKind.False && (expected.ValueKind == JsonValueKind.True) == element.Fill,
        "text" => expected.ValueKind == JsonValueKind.Null ? element.Text is null : expected.ValueKind == JsonValueKind.String && expected.GetString() == element.Text,
        "size" => expected.ValueKind == JsonValueKind.Null ? element.Size is null : expected.ValueKind == JsonValueKind.Number && expected.GetDouble() == element.Size,
        "rot" => expected.ValueKind == JsonValueKind.Number && expected.GetDouble() == (element.Rot ?? 0),
        "pts" => expected.ValueKind == JsonValueKind.Array && expected.GetArrayLength() == element.Pts.Count
            && expected.EnumerateArray().Select(v => v.GetDouble()).SequenceEqual(element.Pts),
        _ => false,
    };

    private static void SetValue(Element element, string field, JsonElement value)
    {
        switch (field)
        {
            case "color": element.Color = value.GetString()!; break;
            case "width": element.Width = value.GetDouble(); break;
            case "opacity": element.Opacity = value.GetDouble(); break;
            case "fill": element.Fill = value.ValueKind == JsonValueKind.True; break;
            case "text": element.Text = value.GetString(); break;
            case "size": element.Size = value.GetDouble(); break;
            case "pts": element.Pts = Numbers(value); break;
            case "rot": element.Rot = value.GetDouble(); break;
        }
    }

    private static List<double> Numbers(JsonElement array)
    {
        var list = new List<double>(array.GetArrayLength());
        AppendNumbers(list, array);
        return list;
    }

    private static void AppendNumbers(List<double> list, JsonElement array)
    {
        foreach (var value in array.EnumerateArray())
        {
            list.Add(value.GetDouble());
        }
    }
}
