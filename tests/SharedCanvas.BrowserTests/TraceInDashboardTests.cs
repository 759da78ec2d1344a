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

        // The trace as a person sees it in the dashboard's UI. The dashboard summarises a messaging span as
        // "MSG {system} {operation} {board}".
        await ShowInDashboardAsync("/traces/detail/" + traceId, "MSG sharedcanvas fan-out");

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
        await Assertions.Expect(panel.Locator(".page")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^browser-[0-9a-f]{16}$"));
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
        await ShowInDashboardAsync((await link.GetAttributeAsync("href"))!, "MSG sharedcanvas fan-out");

        ada.AssertNoScriptErrors();
    }

    [Fact]
    public async Task OneStrokeIsOneTraceFromTheSendersPointerToTheReceiversPaint()
    {
        // Arrange: Ada and Ben on one board, on different realtime replicas; both pages export their own spans.
        var (ada, ben, _) = await TwoPeopleAsync();
        for (var reload = 0; reload < 20 && await ReplicaAsync(ben) == await ReplicaAsync(ada); reload++)
        {
            await ben.Page.ReloadAsync();
            await ben.WaitUntilLiveAsync();
        }

        Assert.NotEqual(await ReplicaAsync(ada), await ReplicaAsync(ben));
        foreach (var page in new[] { ada, ben })
        {
            await page.WaitForAsync("() => window.sharedCanvas.connection.telemetry.enabled");
        }

        var adaUser = await ada.Page.EvaluateAsync<string>("() => window.sharedCanvas.model.me.user");
        var benUser = await ben.Page.EvaluateAsync<string>("() => window.sharedCanvas.model.me.user");

        // Ben's page reports glass-to-glass latency among its metrics (OTLP/HTTP JSON, to the dashboard).
        var metricsExported = ben.Page.WaitForRequestAsync(r => r.Url.EndsWith("/v1/metrics", StringComparison.Ordinal)
            && (r.PostData ?? "").Contains("sharedcanvas.board.glass_to_glass", StringComparison.Ordinal), new() { Timeout = 60_000 });

        // Act: Ada draws one stroke.
        await ada.DrawAsync((200, 200), (300, 260), (420, 240), (520, 320));
        await ben.WaitForAsync("() => { const e = Array.from(window.sharedCanvas.model.visibleElements()); return e.length === 1 && e[0].done; }");
        var elementId = (await ben.ElementsAsync())[0].GetProperty("id").GetString()!;

        // Assert: one trace holds Ada's draw span, its sends, the server's spans on both replicas and Ben's renders.
        using var telemetry = await DashboardTelemetry.ConnectAsync(Stack.App);
        string? traceId = null;
        using (await telemetry.WaitForAsync($"spans?limit={DashboardTelemetry.Everything}", d =>
            (traceId = DashboardTelemetry.Spans(d).Where(s => s.Service == "browser" && Name(s.Span) == "draw"
                && DashboardTelemetry.Attribute(s.Span, "sharedcanvas.element.id") == elementId).Select(s => TraceId(s.Span)).FirstOrDefault()) is not null))
        {
        }

        using var trace = await telemetry.WaitForAsync($"traces/{traceId}", d =>
        {
            var spans = DashboardTelemetry.Spans(d).ToList();
            return spans.Any(s => Name(s.Span) == "draw" && EndTime(s.Span) > 0)
                && spans.Count(s => Name(s.Span).StartsWith("send ", StringComparison.Ordinal)) >= 3
                && spans.Count(s => Name(s.Span) == "render") >= 3
                && spans.Count(s => Name(s.Span) == "receive boards/{id}") >= 3;
        });
        var all = DashboardTelemetry.Spans(trace).Select(s => s.Span).ToList();
        var byId = all.ToDictionary(s => s.GetProperty("spanId").GetString()!);
        var draw = Assert.Single(all, s => Name(s) == "draw");
        Assert.Equal(adaUser, DashboardTelemetry.Attribute(draw, "enduser.id"));
        Assert.False(draw.TryGetProperty("parentSpanId", out var drawParent) && drawParent.GetString() is { Length: > 0 }, "the stroke's trace starts at Ada's pointer");

        var sends = all.Where(s => Name(s).StartsWith("send ", StringComparison.Ordinal)).ToList();
        Assert.All(sends, s => Assert.Equal(draw.GetProperty("spanId").GetString(), Parent(s)));
        Assert.Contains(sends, s => Name(s) == "send add");
        Assert.Contains(sends, s => Name(s) == "send end");

        var renders = all.Where(s => Name(s) == "render").ToList();
        Assert.All(renders, render => Assert.Equal(benUser, DashboardTelemetry.Attribute(render, "enduser.id")));
        foreach (var render in renders)
        {
            // Its parent is the publish the delivered operation named; its ancestors, the receipt of Ada's send,
            // that send, and Ada's draw.
            var ancestors = new List<JsonElement>();
            for (var parent = Parent(render); parent is not null; parent = Parent(byId[parent]))
            {
                ancestors.Add(byId[parent]);
            }

            var publish = ancestors[0];
            Assert.Equal("publish", DashboardTelemetry.Attribute(publish, "messaging.operation.name"));
            var receive = Assert.Single(ancestors, s => Name(s) == "receive boards/{id}");
            var send = Assert.Single(ancestors, s => Name(s).StartsWith("send ", StringComparison.Ordinal));
            Assert.Equal(draw.GetProperty("spanId").GetString(), ancestors[^1].GetProperty("spanId").GetString());
            var seq = DashboardTelemetry.Attribute(render, "sharedcanvas.seq");
            var fanOuts = all.Where(s => Name(s) == "process boards/{id}" && DashboardTelemetry.Attribute(s, "sharedcanvas.seq") == seq).ToList();
            Assert.Equal(2, fanOuts.Select(s => DashboardTelemetry.Attribute(s, "sharedcanvas.replica")).Distinct().Count());

            // In causal order: pointer, send, receipt, publish, fan-out, render. Within a process exactly; between
            // a page and a server to within a few milliseconds, since a page's times are its navigation start plus
            // a monotonic clock, which drifts from the system's wall clock.
            Assert.True(StartTime(draw) <= StartTime(send), "draw starts before its send");
            Assert.True(StartTime(send) <= StartTime(receive) + BetweenClocks, "the send starts before the server receives it");
            Assert.True(StartTime(receive) <= StartTime(publish), "receipt before publish");
            Assert.True(fanOuts.All(f => StartTime(publish) <= StartTime(f)), "publish before every replica's fan-out");
            Assert.True(fanOuts.Min(StartTime) <= StartTime(render) + BetweenClocks, "a replica fans out before Ben's page renders");
            Assert.True(StartTime(render) <= EndTime(render), "a render span ends after it starts");
        }

        var metrics = await metricsExported;
        Assert.Contains("sharedcanvas.board.glass_to_glass", metrics.PostData);

        // The whole trace in the dashboard's UI, for the README.
        await ShowInDashboardAsync("/traces/detail/" + traceId, "render", screenshot: "trace-glass-to-glass");

        ada.AssertNoScriptErrors();
        ben.AssertNoScriptErrors();
    }

    /// <summary>
    /// Opens an address of the dashboard's UI (a path, or the absolute link a page offers) signed in, waits until
    /// it shows <paramref name="text"/>, and saves a screenshot under that name if one is given.
    /// </summary>
    private async Task ShowInDashboardAsync(string address, string text, string? screenshot = null)
    {
        var dashboard = await Stack.Browser.NewPageAsync(new() { ViewportSize = new() { Width = 1400, Height = 900 } });
        try
        {
            var login = (await Stack.App.GetDashboardUrlAsync(CancellationToken.None))!;
            await dashboard.GotoAsync(login.ToString());
            await dashboard.GotoAsync(new Uri(login, address).ToString());
            await Assertions.Expect(dashboard.GetByText(text).First).ToBeVisibleAsync(new() { Timeout = 30_000 });
            if (screenshot is not null)
            {
                await dashboard.WaitForTimeoutAsync(500);
                await dashboard.ScreenshotAsync(new() { Path = BoardPage.ScreenshotPath(screenshot) });
            }
        }
        finally
        {
            await dashboard.CloseAsync();
        }
    }

    /// <summary>How far a page's clock and a server's may disagree on one machine (nanoseconds): 20 ms.</summary>
    private const ulong BetweenClocks = 20_000_000;

    private static string? Parent(JsonElement span) =>
        span.TryGetProperty("parentSpanId", out var parent) && parent.GetString() is { Length: > 0 } id ? id : null;

    private static ulong StartTime(JsonElement span) => Nanoseconds(span, "startTimeUnixNano");

    private static ulong EndTime(JsonElement span) => Nanoseconds(span, "endTimeUnixNano");

    // OTLP JSON writes 64-bit integers as strings; accept numbers too.
    private static ulong Nanoseconds(JsonElement span, string name) =>
        !span.TryGetProperty(name, out var value) ? 0
        : value.ValueKind == JsonValueKind.String ? ulong.Parse(value.GetString()!)
        : value.GetUInt64();

    private static async Task<string> ReplicaAsync(BoardPage page) =>
        await page.Page.EvaluateAsync<string>("() => window.sharedCanvas.connection.server");

    private static IEnumerable<JsonElement> StrokeSpans(JsonDocument document, string elementId) =>
        DashboardTelemetry.Spans(document).Select(s => s.Span)
            .Where(s => DashboardTelemetry.Attribute(s, "sharedcanvas.element.id") == elementId);

    private static string Name(JsonElement span) => span.GetProperty("name").GetString()!;

    private static string? Kind(JsonElement span) => DashboardTelemetry.Attribute(span, "sharedcanvas.op.kind");

    private static string TraceId(JsonElement span) => span.GetProperty("traceId").GetString()!;
}
