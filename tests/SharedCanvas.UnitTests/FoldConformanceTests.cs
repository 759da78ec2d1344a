using System.Text.Json;
using System.Text.Json.Nodes;
using SharedCanvas.Realtime.Model;

namespace SharedCanvas.UnitTests;

/// <summary>
/// The C# fold (<see cref="BoardState"/>) against the shared cases in tests/conformance/fold, which the
/// browser's fold (model.js) runs too: both end with the same board.
/// </summary>
public sealed class FoldConformanceTests
{
    private static readonly string Folder = Path.Combine(AppContext.BaseDirectory, "conformance", "fold");

    public static TheoryData<string> Cases()
    {
        var cases = new TheoryData<string>();
        foreach (var file in Directory.EnumerateFiles(Folder, "*.json").Order())
        {
            cases.Add(Path.GetFileNameWithoutExtension(file));
        }

        return cases;
    }

    [Fact]
    public void TheCasesAreThere() => Assert.True(Cases().Count >= 9, $"only {Cases().Count} cases in {Folder}");

    [Theory]
    [MemberData(nameof(Cases))]
    public void TheFoldGivesTheExpectedBoard(string name)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Folder, name + ".json")));
        var state = new BoardState();
        foreach (var entry in document.RootElement.GetProperty("ops").EnumerateArray())
        {
            state.Apply(entry.GetProperty("seq").GetInt64(), entry.GetProperty("author").GetString()!, entry.GetProperty("op"));
        }

        var actual = Normalize(JsonNode.Parse(state.SerializeElements()));
        var expected = Normalize(JsonNode.Parse(document.RootElement.GetProperty("expected").GetRawText()));
        Assert.True(JsonNode.DeepEquals(expected, actual), $"{name}:\nexpected {expected?.ToJsonString()}\nactual   {actual?.ToJsonString()}");
    }

    /// <summary>Numbers as doubles (10 and 10.0 are one value), everything else as it is.</summary>
    private static JsonNode? Normalize(JsonNode? node) => node switch
    {
        JsonObject o => new JsonObject(o.Select(p => KeyValuePair.Create(p.Key, Normalize(p.Value)))),
        JsonArray a => new JsonArray([.. a.Select(Normalize)]),
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => JsonValue.Create(v.GetValue<double>()),
        _ => node?.DeepClone(),
    };
}
