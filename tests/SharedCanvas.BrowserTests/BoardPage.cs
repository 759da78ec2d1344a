using System.Text.Json;
using Microsoft.Playwright;

namespace SharedCanvas.BrowserTests;

/// <summary>What a person does and sees on the site, in a real browser page.</summary>
public sealed class BoardPage
{
    public BoardPage(IPage page)
    {
        Page = page;
        // Script errors fail the tests that check for them: a page that throws is broken even if it draws.
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                Errors.Add(message.Text);
            }
        };
        page.PageError += (_, error) => Errors.Add(error);
    }

    public IPage Page { get; }

    public List<string> Errors { get; } = [];

    /// <summary>Fails with every script error and CSP violation the page reported.</summary>
    public void AssertNoScriptErrors() =>
        Assert.True(Errors.Count == 0, "script errors on the page:\n" + string.Join("\n", Errors));

    /// <summary>Creates a share link on the board's sharing page; returns its address.</summary>
    public async Task<string> CreateShareLinkAsync(string boardUrl, string role)
    {
        await Page.GotoAsync(boardUrl.TrimEnd('/') + "/share");
        await Page.Locator("#role").SelectOptionAsync(role);
        await Page.GetByRole(AriaRole.Button, new() { Name = "Create link" }).ClickAsync();
        var url = await Page.GetByLabel($"{role} link", new() { Exact = true }).Last.InputValueAsync();
        await Page.GotoAsync(boardUrl);
        return url;
    }

    /// <summary>Opens a share link and joins the board.</summary>
    public async Task JoinAsync(string shareUrl)
    {
        await Page.GotoAsync(shareUrl);
        await Page.GetByRole(AriaRole.Button, new() { Name = "Open the board" }).ClickAsync();
        await Page.WaitForURLAsync("**/boards/*");
    }

    /// <summary>Picks a tool by its button's accessible name.</summary>
    public async Task ChooseToolAsync(string name) =>
        await Page.GetByRole(AriaRole.Button, new() { Name = name, Exact = true }).ClickAsync();

    /// <summary>
    /// Clicks the canvas with the text tool and waits for the text box to take the focus (the page gives it
    /// on the next frame, after the click's own focus change), so that no keystroke is typed before it.
    /// </summary>
    public async Task OpenTextBoxAtAsync(float x, float y)
    {
        await Canvas.ClickAsync(new() { Position = new() { X = x, Y = y } });
        await Page.WaitForFunctionAsync("() => document.activeElement instanceof HTMLTextAreaElement");
    }

    public async Task RegisterAsync(string userName, string password)
    {
        await Page.GotoAsync("/account/register");
        await Page.GetByLabel("User name").FillAsync(userName);
        await Page.GetByLabel("Password", new() { Exact = false }).First.FillAsync(password);
        await Page.GetByLabel("Repeat password").FillAsync(password);
        await Page.GetByRole(AriaRole.Button, new() { Name = "Create account" }).ClickAsync();
        await Page.WaitForURLAsync("**/boards");
    }

    /// <summary>Creates a board on "My boards" and lands on it; returns the board's address.</summary>
    public async Task<string> CreateBoardAsync(string name)
    {
        await Page.GotoAsync("/boards");
        await Page.GetByLabel("Name of a new board").FillAsync(name);
        await Page.GetByRole(AriaRole.Button, new() { Name = "Create board" }).ClickAsync();
        await Page.WaitForURLAsync("**/boards/*");
        return Page.Url;
    }

    public async Task OpenAsync(string boardUrl) => await Page.GotoAsync(boardUrl);

    /// <summary>Waits until the page shows the connection as live.</summary>
    public async Task WaitUntilLiveAsync()
    {
        try
        {
            await Assertions.Expect(Page.GetByTestId("connection-state")).ToHaveAttributeAsync("data-state", "live", new() { Timeout = 15_000 });
        }
        catch (PlaywrightException ex)
        {
            throw new InvalidOperationException($"The page did not become live. Script errors: {string.Join(" | ", Errors)}", ex);
        }
    }

    public ILocator Canvas => Page.GetByTestId("canvas");

    /// <summary>Draws with the mouse through the given points (canvas coordinates).</summary>
    public async Task DrawAsync(params (double X, double Y)[] points)
    {
        var box = (await Canvas.BoundingBoxAsync())!;
        await Page.Mouse.MoveAsync((float)(box.X + points[0].X), (float)(box.Y + points[0].Y));
        await Page.Mouse.DownAsync();
        foreach (var (x, y) in points.Skip(1))
        {
            await Page.Mouse.MoveAsync((float)(box.X + x), (float)(box.Y + y), new() { Steps = 8 });
        }

        await Page.Mouse.UpAsync();
    }

    /// <summary>The visible elements of the page's board model, as JSON.</summary>
    public async Task<JsonElement> ElementsAsync() =>
        await Page.EvaluateAsync<JsonElement>("() => Array.from(window.sharedCanvas.model.visibleElements())");

    /// <summary>
    /// How many canvas pixels in a square around a point (canvas CSS coordinates) are not background, read after
    /// the next two animation frames: the renderer draws a change on the next frame, never at once.
    /// </summary>
    public async Task<int> InkAroundAsync(double x, double y, int radius = 4) =>
        await Page.EvaluateAsync<int>("""
            async ([x, y, r]) => {
              await new Promise(resolve => requestAnimationFrame(() => requestAnimationFrame(resolve)));
              const canvas = document.getElementById('canvas');
              const ratio = canvas.width / canvas.clientWidth;
              const data = canvas.getContext('2d').getImageData(Math.round((x - r) * ratio), Math.round((y - r) * ratio),
                Math.round(2 * r * ratio), Math.round(2 * r * ratio)).data;
              let ink = 0;
              for (let i = 0; i < data.length; i += 4) if (data[i + 3] > 0) ink++;
              return ink;
            }
            """, new object[] { x, y, radius });

    /// <summary>How many canvas pixels around a board point (wherever this page's view puts it) are not background.</summary>
    public async Task<int> InkAtBoardAsync(double x, double y, int radius = 4)
    {
        var point = await Page.EvaluateAsync<JsonElement>("([x, y]) => window.sharedCanvas.viewport.toCanvas(x, y)", new object[] { x, y });
        return await InkAroundAsync(point.GetProperty("x").GetDouble(), point.GetProperty("y").GetDouble(), radius);
    }

    /// <summary>Draws with a (simulated) pen, reporting pressure, through the given points.</summary>
    public async Task DrawWithPenAsync(params (double X, double Y, double Pressure)[] points) =>
        await Page.EvaluateAsync("""
            points => {
              const canvas = document.getElementById('canvas');
              const rect = canvas.getBoundingClientRect();
              const fire = (type, [x, y, pressure]) => canvas.dispatchEvent(new PointerEvent(type, {
                pointerId: 41, pointerType: 'pen', isPrimary: true, bubbles: true, cancelable: true,
                clientX: rect.left + x, clientY: rect.top + y, pressure,
                button: type === 'pointermove' ? -1 : 0, buttons: type === 'pointerup' ? 0 : 1 }));
              fire('pointerdown', points[0]);
              for (const point of points.slice(1)) fire('pointermove', point);
              fire('pointerup', points.at(-1));
            }
            """, points.Select(p => new[] { p.X, p.Y, p.Pressure }).ToArray());

    /// <summary>The page's visible elements (its model), as plain data.</summary>
    public async Task<JsonElement> PlainElementsAsync() =>
        await Page.EvaluateAsync<JsonElement>("() => window.sharedCanvas.model.plainElements()");

    /// <summary>Waits until the page holds <paramref name="count"/> visible, finished elements and nothing unsaved.</summary>
    public async Task WaitForSettledAsync(int count) =>
        await WaitForAsync($"() => {{ const e = window.sharedCanvas.model.plainElements(); return e.length === {count} && e.every(x => x.done) && window.sharedCanvas.connection.unsavedCount === 0; }}");

    /// <summary>Saves a screenshot of the page into docs/screenshots (kept in the repository, shown in the README).</summary>
    public async Task ScreenshotAsync(string name) =>
        await Page.ScreenshotAsync(new() { Path = ScreenshotPath(name) });

    /// <summary>Where the README's screenshot of that name lives (docs/screenshots/name.png).</summary>
    public static string ScreenshotPath(string name)
    {
        var directory = Path.Combine(RepositoryRoot(), "docs", "screenshots");
        Directory.CreateDirectory(directory);
        return Path.Combine(directory, name + ".png");
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "SharedCanvas.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? AppContext.BaseDirectory;
    }

    /// <summary>
    /// Waits for two animation frames: the renderer draws a change on the next frame, so pixels read before it
    /// may still show the board as it was.
    /// </summary>
    public async Task NextFramesAsync() =>
        await Page.EvaluateAsync("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))");

    /// <summary>
    /// Waits until a condition on the page's board holds. A timeout says what the page held then (its
    /// elements, connection state, unsaved and unacknowledged work), so that a failure tells why.
    /// </summary>
    public async Task WaitForAsync(string predicate)
    {
        try
        {
            await Page.WaitForFunctionAsync(predicate, null, new() { Timeout = 15_000 });
        }
        catch (TimeoutException timeout)
        {
            var state = await Page.EvaluateAsync<string>("""
                () => {
                  const c = window.sharedCanvas?.connection;
                  const e = window.sharedCanvas?.model?.plainElements() ?? [];
                  return JSON.stringify({ elements: e.length, done: e.filter(x => x.done).length, state: c?.state,
                    reason: c?.reason, unsaved: c?.unsavedCount, unacked: c?.unacked?.length, unconfirmed: c?.unconfirmed?.length, synced: c?.synced });
                }
                """);
            throw new TimeoutException($"{timeout.Message} Waiting for {predicate}; the page held {state}", timeout);
        }
    }
}
