using System.Net.WebSockets;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SharedCanvas.IntegrationTests;

/// <summary>
/// A quiet dashboard (docs/observability.md): an idle stack exports no background traces, and a page load is
/// one trace, not one per file it loads.
/// </summary>
public sealed partial class TelemetryTests
{
    [Fact]
    public async Task AnIdleStackWithOpenSocketsExportsNoBackgroundTraces()
    {
        // Two boards left open by two people each; nobody draws.
        using var ada = await stack.RegisterAsync();
        var open = new List<BoardSocket>();
        try
        {
            foreach (var board in new[] { await ada.CreateBoardAsync(), await ada.CreateBoardAsync() })
            {
                for (var i = 0; i < 2; i++)
                {
                    var socket = await BoardSocket.ConnectAsync(await ada.GetRealtimeTokenAsync(board), stack.WebOrigin);
                    open.Add(socket);
                    await socket.JoinAsync();
                }
            }

            using var telemetry = await DashboardTelemetry.ConnectAsync(stack.App);
            // What the sign-up, the boards and the joins traced is exported within seconds; then a minute of idling,
            // past the presence and socket-count refreshes (10 s), the savers' polling and the signing-key reload (1 min).
            await Task.Delay(TimeSpan.FromSeconds(15));
            var before = await TraceRootsAsync(telemetry);
            await Task.Delay(TimeSpan.FromSeconds(65));
            var after = await TraceRootsAsync(telemetry);

            var background = after.Where(t => !before.ContainsKey(t.Key)).Select(t => t.Value).ToList();
            Assert.True(background.Count == 0, $"{background.Count} traces while idle: {string.Join("; ", background.GroupBy(b => b).Select(g => $"{g.Key} ×{g.Count()}"))}");
            Assert.All(open, socket => Assert.Null(socket.CloseStatus));
        }
        finally
        {
            foreach (var socket in open)
            {
                await socket.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task APageLoadIsTracedAsThePageAloneNotItsScriptsStylesAndImages()
    {
        using var ada = await stack.RegisterAsync();
        var boardId = await ada.CreateBoardAsync();
        string[] assets = ["/css/site.css", "/js/board/main.js", "/lib/perfect-freehand/index.mjs", "/favicon.svg"];
        using (var page = await ada.Http.GetAsync($"/boards/{boardId}"))
        {
            page.EnsureSuccessStatusCode();
        }

        foreach (var asset in assets)
        {
            using var file = await ada.Http.GetAsync(asset);
            file.EnsureSuccessStatusCode();
        }

        // The page's request is exported within seconds; its assets' never are.
        using var telemetry = await DashboardTelemetry.ConnectAsync(stack.App);
        using var spans = await telemetry.WaitForAsync($"spans?limit={DashboardTelemetry.Everything}", d =>
            DashboardTelemetry.Spans(d).Any(s => DashboardTelemetry.Attribute(s.Span, "url.path") == $"/boards/{boardId}"));
        await Task.Delay(TimeSpan.FromSeconds(3));
        using var later = await telemetry.WaitForAsync($"spans?limit={DashboardTelemetry.Everything}", _ => true);
        var paths = DashboardTelemetry.Spans(later).Select(s => DashboardTelemetry.Attribute(s.Span, "url.path")).ToHashSet();
        Assert.All(assets, asset => Assert.DoesNotContain(asset, paths));
    }

    /// <summary>Every trace the dashboard holds, by id, with the name and service of its first span.</summary>
    private static async Task<Dictionary<string, string>> TraceRootsAsync(DashboardTelemetry telemetry)
    {
        var raw = await telemetry.GetRawAsync($"spans?limit={DashboardTelemetry.Everything}");
        var roots = new Dictionary<string, string>();
        if (raw is null)
        {
            return roots;
        }

        using var document = JsonDocument.Parse(raw);
        foreach (var (span, service, _) in DashboardTelemetry.Spans(document))
        {
            var traceId = span.GetProperty("traceId").GetString()!;
            var isRoot = !span.TryGetProperty("parentSpanId", out var parent) || string.IsNullOrEmpty(parent.GetString());
            if (isRoot || !roots.ContainsKey(traceId))
            {
                roots[traceId] = $"{service}: {span.GetProperty("name").GetString()}";
            }
        }

        return roots;
    }
}
