using System.Globalization;
using System.Text.Json;
using Microsoft.Playwright;
using SharedCanvas.Testing;

namespace SharedCanvas.Bench;

/// <summary>
/// Drawing in Chromium on a board of N elements (default 10,000): a person opens the board and draws
/// with the mouse for a few seconds; the page reports how long each render took (the renderer's own
/// timing) and the intervals between animation frames (what the person sees as frames per second).
/// </summary>
internal static class BrowserFramesScenario
{
    public static async Task RunAsync(BenchStack stack, BenchOptions options)
    {
        var userName = Names.NewUserName();
        using var person = await SiteClient.RegisterAsync(stack.Site, userName, Names.Password);
        var boardId = await person.CreateBoardAsync("browser-frames benchmark");
        Console.Error.WriteLine($"drawing {options.Elements:N0} elements…");
        await LateJoinScenario.DrawAsync(person, boardId, stack.Origin, options.Elements);

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = Environment.GetEnvironmentVariable("CHROMIUM_PATH") is { Length: > 0 } path ? path : "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
        });
        var context = await browser.NewContextAsync(new() { BaseURL = stack.Site.ToString(), ViewportSize = new() { Width = 1280, Height = 800 } });
        var page = await context.NewPageAsync();
        await page.GotoAsync("/account/login");
        await page.Locator("input[name='Input.UserName']").FillAsync(userName);
        await page.Locator("input[name='Input.Password']").FillAsync(Names.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await page.WaitForURLAsync("**/boards");

        var opened = System.Diagnostics.Stopwatch.StartNew();
        await page.GotoAsync($"/boards/{boardId}");
        await page.WaitForFunctionAsync($"() => window.sharedCanvas?.model.plainElements().length >= {options.Elements}", null, new() { Timeout = 60_000 });
        var loadMs = opened.Elapsed.TotalMilliseconds;

        var rows = new List<string>();
        foreach (var zoom in new[] { "fit", "1:1" })
        {
            if (zoom == "fit")
            {
                await page.EvaluateAsync("() => window.sharedCanvas.app.fitToContent()");
            }
            else
            {
                await page.EvaluateAsync("() => window.sharedCanvas.viewport.set(0, 0, 1)");
            }

            await page.WaitForTimeoutAsync(500);
            // Frame intervals, from requestAnimationFrame, while the mouse draws; the renderer's own render times.
            await page.EvaluateAsync("""
                () => {
                  window.sharedCanvas.renderer.frameTimes.length = 0;
                  const intervals = window.__intervals = [];
                  let last = performance.now();
                  window.__measuring = true;
                  const tick = now => { intervals.push(now - last); last = now; if (window.__measuring) requestAnimationFrame(tick); };
                  requestAnimationFrame(tick);
                }
                """);
            var canvas = (await page.GetByTestId("canvas").BoundingBoxAsync())!;
            var drawing = System.Diagnostics.Stopwatch.StartNew();
            await page.Mouse.MoveAsync(canvas.X + 200, canvas.Y + 200);
            await page.Mouse.DownAsync();
            var step = 0;
            while (drawing.Elapsed < TimeSpan.FromSeconds(5))
            {
                step++;
                await page.Mouse.MoveAsync((float)(canvas.X + 200 + step % 400 * 2), (float)(canvas.Y + 200 + Math.Sin(step / 20.0) * 150));
                await page.WaitForTimeoutAsync(8);
            }

            await page.Mouse.UpAsync();
            var seconds = drawing.Elapsed.TotalSeconds;
            var stats = await page.EvaluateAsync<JsonElement>("""
                () => {
                  window.__measuring = false;
                  const sorted = a => [...a].sort((x, y) => x - y);
                  const at = (s, p) => s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))] : 0;
                  const i = sorted(window.__intervals.slice(1));
                  const r = window.sharedCanvas.renderer.frameStats();
                  return { frames: i.length, i50: at(i, .5), i95: at(i, .95), i99: at(i, .99), imax: i.at(-1) ?? 0,
                           renders: r.frames, r50: r.p50, r95: r.p95, r99: r.p99, rmax: r.max,
                           slow: i.filter(x => x > 1000 / 60 * 1.5).length };
                }
                """);
            double D(string name) => stats.GetProperty(name).GetDouble();
            rows.Add(string.Create(CultureInfo.InvariantCulture,
                $"| browser-frames ({zoom}) | {options.Elements:N0} | {D("frames") / seconds:F0} | {D("i50"):F1} | {D("i95"):F1} | {D("i99"):F1} | {D("imax"):F1} | {D("slow"):F0} | {D("renders"):F0} | {D("r50"):F1} | {D("r95"):F1} | {D("r99"):F1} | {D("rmax"):F1} | {loadMs:F0} |"));
        }

        Console.WriteLine();
        Console.WriteLine("| scenario | elements | fps | frame interval p50 ms | p95 | p99 | max | frames > 25 ms | renders | render p50 ms | p95 | p99 | max | board opened in ms |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        rows.ForEach(Console.WriteLine);
    }
}
