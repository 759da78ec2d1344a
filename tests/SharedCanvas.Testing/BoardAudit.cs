using System.Text.Json;
using Xunit;

namespace SharedCanvas.Testing;

/// <summary>Checks, after a fault, that nothing acknowledged was lost and that every client converged.</summary>
public static class BoardAudit
{
    /// <summary>
    /// Every operation any drawer had acknowledged is on <paramref name="reference"/>'s board (an element
    /// for an add, its x in the stroke's points, a finished stroke for an end), every drawer's board
    /// equals the reference's, and nothing is left unacknowledged. Returns a one-line report.
    /// </summary>
    public static string AssertNothingAcknowledgedLost(IReadOnlyList<ResilientDrawer> drawers, ResilientDrawer reference)
    {
        using var board = JsonDocument.Parse(reference.BoardJson);
        var elements = board.RootElement.EnumerateArray().ToDictionary(e => e.GetProperty("id").GetString()!);
        var acknowledged = 0;
        var found = 0;
        foreach (var drawer in drawers)
        {
            Assert.Equal(0, drawer.Unacknowledged);
            Assert.True(drawer.Refused.Count == 0,
                $"the server refused operations of {drawer.ClientId}: {string.Join(", ", drawer.Refused.Select(r => $"{r.Key} ({r.Value})"))}");
            foreach (var (n, _) in drawer.Acknowledged)
            {
                acknowledged++;
                var (elementId, kind) = ResilientDrawer.Expectation(drawer.ClientId, n);
                Assert.True(elements.TryGetValue(elementId, out var element), $"{elementId} (operation {n} of {drawer.ClientId}) is missing");
                Assert.Equal(drawer.UserId, element.GetProperty("author").GetString());
                var present = kind == "end"
                    ? element.GetProperty("done").GetBoolean()
                    : element.GetProperty("pts").EnumerateArray().Where((_, i) => i % 3 == 0).Any(x => x.GetDouble() == n);
                Assert.True(present, $"operation {n} ({kind}) of {drawer.ClientId} is not on the board");
                found++;
            }
        }

        foreach (var drawer in drawers)
        {
            Assert.True(drawer.BoardJson == reference.BoardJson, $"{drawer.ClientId} did not converge with the board");
        }

        return $"acknowledged {acknowledged}, found {found}, sent {drawers.Sum(d => d.Sent)}, resent {drawers.Sum(d => d.Resent)} " +
            $"(recognised as already applied: {drawers.Sum(d => d.Duplicates)}), connections {drawers.Sum(d => d.Connections)}, " +
            $"elements {elements.Count}, head {reference.Seq}";
    }
}
