using System.Text.Json;
using Microsoft.Playwright;

namespace SharedCanvas.BrowserTests;

/// <summary>
/// The board's input as people expect it from the tools they know: the wheel and trackpad, the pen's feel
/// with a mouse, the keyboard on the toolbar, and names a screen reader can say (issue 15, items 6 and 10).
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class BoardInputTests(BrowserStackFixture stack) : BrowserTest(stack)
{
    private static async Task<(double X, double Y, double Scale)> ViewAsync(BoardPage page)
    {
        var view = await page.Page.EvaluateAsync<JsonElement>("() => { const v = window.sharedCanvas.viewport; return { x: v.x, y: v.y, s: v.scale }; }");
        return (view.GetProperty("x").GetDouble(), view.GetProperty("y").GetDouble(), view.GetProperty("s").GetDouble());
    }

    /// <summary>How many rows of a canvas column (CSS x, between two CSS y) hold more than half-opaque ink, in CSS pixels.</summary>
    private static async Task<double> InkRowsAsync(BoardPage page, double x, double fromY, double toY) =>
        await page.Page.EvaluateAsync<double>("""
            ([x, y0, y1]) => {
              const canvas = document.getElementById('canvas');
              const ratio = canvas.width / canvas.clientWidth;
              const data = canvas.getContext('2d').getImageData(Math.round(x * ratio), Math.round(y0 * ratio), 1, Math.round((y1 - y0) * ratio)).data;
              let rows = 0;
              for (let i = 3; i < data.length; i += 4) if (data[i] > 128) rows++;
              return rows / ratio;
            }
            """, new object[] { x, fromY, toY });

    [Fact]
    public async Task TheWheelPansCtrlWheelZoomsAtThePointerAndTheDrawingMovesWithTheView()
    {
        var ada = await OnePersonOnANewBoardAsync();
        await ada.DrawAsync((300, 300), (500, 300));
        await ada.WaitForSettledAsync(1);
        Assert.True(await ada.InkAroundAsync(400, 300) > 0);
        var box = (await ada.Canvas.BoundingBoxAsync())!;
        await ada.Page.Mouse.MoveAsync(box.X + 400, box.Y + 300);

        // The wheel scrolls the board: down by 120 px, and the stroke is drawn 120 px higher; the zoom stays.
        var before = await ViewAsync(ada);
        await ada.Page.Mouse.WheelAsync(0, 120);
        await ada.WaitForAsync($"() => window.sharedCanvas.viewport.y > {before.Y + 100}");
        var scrolled = await ViewAsync(ada);
        Assert.Equal(before.Y + 120, scrolled.Y, 1);
        Assert.Equal(before.Scale, scrolled.Scale);
        await Assertions.Expect(ada.Page.GetByTestId("zoom-level")).ToHaveTextAsync("100 %");
        await ada.NextFramesAsync();
        Assert.True(await ada.InkAroundAsync(400, 180) > 0, "the stroke did not move up with the view");
        Assert.Equal(0, await ada.InkAroundAsync(400, 300));

        // A trackpad's sideways scroll pans sideways; so does Shift with a plain wheel.
        await ada.Page.Mouse.WheelAsync(80, 0);
        await ada.WaitForAsync($"() => window.sharedCanvas.viewport.x > {scrolled.X + 70}");
        await ada.Page.Keyboard.DownAsync("Shift");
        await ada.Page.Mouse.WheelAsync(0, 50);
        await ada.Page.Keyboard.UpAsync("Shift");
        await ada.WaitForAsync($"() => window.sharedCanvas.viewport.x > {scrolled.X + 120}");
        var sideways = await ViewAsync(ada);
        Assert.Equal(scrolled.Y, sideways.Y, 1);

        // Ctrl + wheel (a pinch on a trackpad arrives as one) zooms, and the board point under the pointer stays put.
        var pointer = await ada.Page.EvaluateAsync<JsonElement>($"() => window.sharedCanvas.viewport.toBoard({box.X + 400}, {box.Y + 300})");
        await ada.Page.Keyboard.DownAsync("Control");
        await ada.Page.Mouse.WheelAsync(0, -100);
        await ada.Page.Keyboard.UpAsync("Control");
        await ada.WaitForAsync($"() => window.sharedCanvas.viewport.scale > {sideways.Scale}");
        var zoomed = await ViewAsync(ada);
        Assert.InRange(zoomed.Scale, 1.05, 1.2); // one notch is one step, not a leap
        await Assertions.Expect(ada.Page.GetByTestId("zoom-level")).Not.ToHaveTextAsync("100 %");
        var after = await ada.Page.EvaluateAsync<JsonElement>($"() => window.sharedCanvas.viewport.toBoard({box.X + 400}, {box.Y + 300})");
        Assert.Equal(pointer.GetProperty("x").GetDouble(), after.GetProperty("x").GetDouble(), 1);
        Assert.Equal(pointer.GetProperty("y").GetDouble(), after.GetProperty("y").GetDouble(), 1);
        ada.AssertNoScriptErrors();
    }

    [Fact]
    public async Task AFastMouseStrokeKeepsItsWidthInsteadOfThinningToAHairline()
    {
        var ada = await OnePersonOnANewBoardAsync();
        await ada.ChooseToolAsync("Pen");
        await ada.Page.GetByRole(AriaRole.Button, new() { Name = "Medium", Exact = true }).ClickAsync();

        // A quick flick: the pointer jumps 60 px between events, as a fast hand does.
        var box = (await ada.Canvas.BoundingBoxAsync())!;
        await ada.Page.Mouse.MoveAsync(box.X + 150, box.Y + 200);
        await ada.Page.Mouse.DownAsync();
        for (var x = 210; x <= 690; x += 60)
        {
            await ada.Page.Mouse.MoveAsync(box.X + x, box.Y + 200);
        }

        await ada.Page.Mouse.UpAsync();
        // And a slow one below it, point by point.
        await ada.DrawAsync((150, 300), (690, 300));
        await ada.WaitForSettledAsync(2);
        await ada.NextFramesAsync();

        // Medium is 4 px; the fast stroke is as wide in its middle as the slow one, not a hairline.
        var fast = await InkRowsAsync(ada, 420, 185, 215);
        var slow = await InkRowsAsync(ada, 420, 285, 315);
        Assert.True(fast >= 3, $"the fast stroke is {fast} px wide in its middle");
        Assert.True(Math.Abs(fast - slow) <= 1, $"fast {fast} px against slow {slow} px");
        ada.AssertNoScriptErrors();
    }

    [Fact]
    public async Task SpacePressesAToolbarButtonReachedWithTheKeyboardAndSwatchesHaveColourNames()
    {
        var ada = await OnePersonOnANewBoardAsync();

        // Tab from the pen to the highlighter, then Space: the highlighter is the tool (Space does not pan).
        await ada.Page.GetByRole(AriaRole.Button, new() { Name = "Pen", Exact = true }).FocusAsync();
        await ada.Page.Keyboard.PressAsync("Tab");
        var highlighter = ada.Page.GetByRole(AriaRole.Button, new() { Name = "Highlighter", Exact = true });
        await Assertions.Expect(highlighter).ToBeFocusedAsync();
        await ada.Page.Keyboard.PressAsync("Space");
        await Assertions.Expect(highlighter).ToHaveAttributeAsync("aria-pressed", "true");
        Assert.Equal("highlighter", await ada.Canvas.GetAttributeAsync("data-tool"));

        // A style button too: Thick.
        var thick = ada.Page.GetByRole(AriaRole.Button, new() { Name = "Thick", Exact = true });
        await thick.FocusAsync();
        await ada.Page.Keyboard.PressAsync("Shift+Tab");
        await ada.Page.Keyboard.PressAsync("Tab");
        await Assertions.Expect(thick).ToBeFocusedAsync();
        await ada.Page.Keyboard.PressAsync("Space");
        await Assertions.Expect(thick).ToHaveAttributeAsync("aria-pressed", "true");

        // After a click on a button, holding Space still pans the board as it does everywhere on the page.
        await ada.ChooseToolAsync("Pen");
        await ada.Page.Keyboard.DownAsync("Space");
        Assert.Equal("hand", await ada.Canvas.GetAttributeAsync("data-tool"));
        await ada.Page.Keyboard.UpAsync("Space");
        Assert.Equal("pen", await ada.Canvas.GetAttributeAsync("data-tool"));

        // Every swatch says its colour's name to a screen reader.
        var names = await ada.Page.GetByTestId("swatches").Locator("button").EvaluateAllAsync<string[]>("buttons => buttons.map(b => b.getAttribute('aria-label'))");
        Assert.Equal(["Black", "Red", "Orange", "Yellow", "Green", "Blue", "Violet", "Pink", "Grey", "White"], names);
        await ada.Page.GetByRole(AriaRole.Button, new() { Name = "Green", Exact = true }).ClickAsync();
        await Assertions.Expect(ada.Page.GetByRole(AriaRole.Button, new() { Name = "Green", Exact = true })).ToHaveAttributeAsync("aria-pressed", "true");
        ada.AssertNoScriptErrors();
    }
}
