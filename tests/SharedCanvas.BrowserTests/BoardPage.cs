using System.Text.Json;
using Microsoft.Playwright;

namespace SharedCanvas.BrowserTests;

/// <summary>What a person does and sees on the site, in a real browser page.</summary>
public sealed class BoardPage(IPage page)
{
    public IPage Page { get; } = page;

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
    public async Task WaitUntilLiveAsync() =>
        await Assertions.Expect(Page.GetByTestId("connection-state")).ToHaveAttributeAsync("data-state", "live");

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

    /// <summary>How many canvas pixels in a square around a point (canvas CSS coordinates) are not background.</summary>
    public async Task<int> InkAroundAsync(double x, double y, int radius = 4) =>
        await Page.EvaluateAsync<int>("""
            ([x, y, r]) => {
              const canvas = document.getElementById('canvas');
              const ratio = canvas.width / canvas.clientWidth;
              const data = canvas.getContext('2d').getImageData(Math.round((x - r) * ratio), Math.round((y - r) * ratio),
                Math.round(2 * r * ratio), Math.round(2 * r * ratio)).data;
              let ink = 0;
              for (let i = 0; i < data.length; i += 4) if (data[i + 3] > 0) ink++;
              return ink;
            }
            """, new object[] { x, y, radius });

    /// <summary>Waits until a condition on the page's board holds.</summary>
    public async Task WaitForAsync(string predicate) =>
        await Page.WaitForFunctionAsync(predicate, null, new() { Timeout = 15_000 });
}
