using System.Text.Json;
using Aspire.Hosting.Testing;
using Microsoft.Playwright;

namespace SharedCanvas.BrowserTests;

/// <summary>
/// What the README's "Watch a stroke in the dashboard" promises: a stroke drawn with the mouse is one
/// trace, across both realtime replicas, and the dashboard shows it (docs/observability.md).
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class TraceInDashboardTests(BrowserStackFixture stack) : BrowserTest(stack)
{
    [Fact]
    public async Task AStrokeDrawnInTheBrowserIsOneTraceThroughBothReplicasInTheDashboard()
    {
        // Arrange: Ada and Ben on one board, their sockets on different realtime replicas.
        var (ada, ben, _) = await TwoPeopleAsync();
        var adaReplica = await ReplicaAsync(ada);
        for (var reload = 0; reload < 20 && await ReplicaAsync(ben) == adaReplica; reload++)
        {
            await ben.Page.ReloadAsync();
            await ben.WaitUntilLiveAsync();
        }

        Assert.NotEqual(adaReplica, await ReplicaAsync(ben));

        // Act: Ada draws one stroke.
        await ada.DrawAsync((200, 200), (300, 260), (420, 240), (520, 320));
        await ben.WaitForAsync("() => { const e = Array.from(window.sharedCanvas.model.visibleElements()); return e.length === 1 && e[0].done; }");
        var elementId = (await ben.ElementsAsync())[0].GetProperty("id").GetString()!;

        // Assert: the dashboard holds one trace with every operation of the stroke (add, points, end),
        // each received once and fanned out on both replicas.
        using var telemetry = await DashboardTelemetry.ConnectAsync(Stack.App);
        string? traceId = null;
        using var strokeSpans = await telemetry.WaitForAsync($"spans?limit={DashboardTelemetry.Everything}", d =>
            (traceId = StrokeSpans(d, elementId).Where(s => Name(s) == "receive boards/{id}" && Kind(s) == "end").Select(TraceId).FirstOrDefault()) is not null);

        using var trace = await telemetry.WaitForAsync($"traces/{traceId}", d =>
        {
            var all = DashboardTelemetry.Spans(d).ToList();
            var received = all.Count(s => Name(s.Span) == "receive boards/{id}");
            return received >= 3 && all.Count(s => Name(s.Span) == "process boards/{id}") >= 2 * received;
        });
        var inTrace = DashboardTelemetry.Spans(trace).ToList();
        var receives = inTrace.Where(s => Name(s.Span) == "receive boards/{id}").ToList();
        Assert.All(receives, s => Assert.Equal(elementId, DashboardTelemetry.Attribute(s.Span, "sharedcanvas.element.id")));
        Assert.Equal(["add", "end", "points"], receives.Select(s => Kind(s.Span)).Distinct().Order());
        var seqs = receives.Select(s => DashboardTelemetry.Attribute(s.Span, "sharedcanvas.seq")).ToList();
        Assert.Equal(seqs.Count, seqs.Distinct().Count());
        foreach (var seq in seqs)
        {
            var fanouts = inTrace.Where(s => Name(s.Span) == "process boards/{id}" && DashboardTelemetry.Attribute(s.Span, "sharedcanvas.seq") == seq).ToList();
            Assert.Equal(2, fanouts.Select(s => DashboardTelemetry.Attribute(s.Span, "sharedcanvas.replica")).Distinct().Count());
        }

        // The trace as a person sees it in the dashboard's UI, for the README.
        var dashboard = await Stack.Browser.NewPageAsync(new() { ViewportSize = new() { Width = 1400, Height = 820 } });
        try
        {
            var login = (await Stack.App.GetDashboardUrlAsync(CancellationToken.None))!;
            await dashboard.GotoAsync(login.ToString());
            await dashboard.GotoAsync(new Uri(login, "/traces/detail/" + traceId).ToString());
            // The dashboard summarises a messaging span as "MSG {system} {operation} {board}".
            await Assertions.Expect(dashboard.GetByText("MSG sharedcanvas fan-out").First).ToBeVisibleAsync(new() { Timeout = 30_000 });
            await dashboard.WaitForTimeoutAsync(500);
            await dashboard.ScreenshotAsync(new() { Path = BoardPage.ScreenshotPath("trace") });
        }
        finally
        {
            await dashboard.CloseAsync();
        }

        ada.AssertNoScriptErrors();
        ben.AssertNoScriptErrors();
    }

    [Fact]
    public async Task TheLastStrokesTraceIsOneClickAwayAndSearchableByBoardElementAndUser()
    {
        var ada = await OnePersonOnANewBoardAsync();
        await ada.DrawAsync((200, 200), (320, 240));
        await ada.WaitForSettledAsync(1);
        var elementId = (await ada.ElementsAsync())[0].GetProperty("id").GetString()!;
        var boardId = await ada.Page.EvaluateAsync<string>("() => document.getElementById('board').dataset.boardId");
        var userId = await ada.Page.EvaluateAsync<string>("() => window.sharedCanvas.model.me.user");

        // The connection chip's diagnostics panel names the replica and the last stroke's trace, with a link.
        var panel = ada.Page.GetByTestId("diagnostics");
        await panel.GetByLabel("Diagnostics").ClickAsync();
        var traceId = await panel.Locator(".trace").InnerTextAsync();
        Assert.Matches("^[0-9a-f]{32}$", traceId);
        await Assertions.Expect(panel.Locator(".replica")).Not.ToHaveTextAsync("–");
        var link = panel.GetByRole(AriaRole.Link, new() { Name = "Open its trace in the dashboard" });
        await Assertions.Expect(link).ToBeVisibleAsync();
        var login = (await Stack.App.GetDashboardUrlAsync(CancellationToken.None))!;
        Assert.Equal($"{login.GetLeftPart(UriPartial.Authority)}/traces/detail/{traceId}", await link.GetAttributeAsync("href"));
        await ada.ScreenshotAsync("diagnostics");

        // That trace is the stroke's, and its spans carry what the dashboard's filter searches: board, element, user.
        using var telemetry = await DashboardTelemetry.ConnectAsync(Stack.App);
        using var trace = await telemetry.WaitForAsync($"traces/{traceId}", d =>
            DashboardTelemetry.Spans(d).Any(s => Name(s.Span) == "receive boards/{id}" && Kind(s.Span) == "end"));
        var receive = DashboardTelemetry.Spans(trace).First(s => Name(s.Span) == "receive boards/{id}").Span;
        Assert.Equal(elementId, DashboardTelemetry.Attribute(receive, "sharedcanvas.element.id"));
        Assert.Equal(boardId, DashboardTelemetry.Attribute(receive, "sharedcanvas.board.id"));
        Assert.Equal(userId, DashboardTelemetry.Attribute(receive, "enduser.id"));

        // And the link opens it in the dashboard.
        var dashboard = await Stack.Browser.NewPageAsync();
        try
        {
            await dashboard.GotoAsync(login.ToString());
            await dashboard.GotoAsync((await link.GetAttributeAsync("href"))!);
            await Assertions.Expect(dashboard.GetByText("MSG sharedcanvas fan-out").First).ToBeVisibleAsync(new() { Timeout = 30_000 });
        }
        finally
        {
            await dashboard.CloseAsync();
        }

        ada.AssertNoScriptErrors();
    }

    private static async Task<string> ReplicaAsync(BoardPage page) =>
        await page.Page.EvaluateAsync<string>("() => window.sharedCanvas.connection.server");

    private static IEnumerable<JsonElement> StrokeSpans(JsonDocument document, string elementId) =>
        DashboardTelemetry.Spans(document).Select(s => s.Span)
            .Where(s => DashboardTelemetry.Attribute(s, "sharedcanvas.element.id") == elementId);

    private static string Name(JsonElement span) => span.GetProperty("name").GetString()!;

    private static string? Kind(JsonElement span) => DashboardTelemetry.Attribute(span, "sharedcanvas.op.kind");

    private static string TraceId(JsonElement span) => span.GetProperty("traceId").GetString()!;
}
