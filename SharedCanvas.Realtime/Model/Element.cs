using System.Text.Json;
using System.Text.Json.Serialization;

namespace SharedCanvas.Realtime.Model;

/// <summary>One element of a board (docs/protocol.md §5.1), as snapshots store it.</summary>
public sealed class Element
{
    [JsonPropertyName("id")] public string Id { get; set; } = "";
    [JsonPropertyName("t")] public string T { get; set; } = "";
    [JsonPropertyName("author")] public string Author { get; set; } = "";
    [JsonPropertyName("color")] public string Color { get; set; } = "#1e1e1e";
    [JsonPropertyName("width")] public double Width { get; set; } = 4;
    [JsonPropertyName("opacity")] public double Opacity { get; set; } = 1;
    [JsonPropertyName("fill")] public bool Fill { get; set; }
    [JsonPropertyName("pts")] public List<double> Pts { get; set; } = [];
    [JsonPropertyName("text")] public string? Text { get; set; }
    [JsonPropertyName("size")] public double? Size { get; set; }

    /// <summary>Rotation in radians about the centre of the element's own geometry; absent (null) when never rotated.</summary>
    [JsonPropertyName("rot"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public double? Rot { get; set; }
    [JsonPropertyName("done")] public bool Done { get; set; }
    [JsonPropertyName("deleted")] public long? Deleted { get; set; }
    [JsonPropertyName("deletedBy")] public string? DeletedBy { get; set; }

    [JsonIgnore]
    public bool IsFreehand => T is "pen" or "highlighter";

    [JsonIgnore]
    public int Stride => IsFreehand ? 3 : 2;
}

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(List<Element>))]
internal sealed partial class ElementJsonContext : JsonSerializerContext;
