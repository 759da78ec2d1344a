using System.Text.Json;
using Microsoft.Playwright;

namespace SharedCanvas.BrowserTests;

/// <summary>
/// Selecting like in the tools people know (issue 15, item 3): a click inside a hollow shape, Ctrl+A, corner
/// handles that resize (Shift keeps proportions), and others seeing a move or resize while it is dragged.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class SelectionTests(BrowserStackFixture stack) : BrowserTest(stack)
{
    private static async Task<double[]> PtsAsync(BoardPage page, string type) =>
        (await page.PlainElementsAsync()).EnumerateArray().First(e => e.GetProperty("t").GetString() == type)
            .GetProperty("pts").EnumerateArray().Select(p => p.GetDouble()).ToArray();

    /// <summary>Waits until Ada's changes are acknowledged and Ben's rectangle is where Ada's is.</summary>
    private static async Task SameRectAsync(BoardPage ada, BoardPage ben)
    {
        await ada.WaitForSettledAsync(2);
        var pts = string.Join(",", await PtsAsync(ada, "rect"));
        await ben.WaitForAsync($"() => window.sharedCanvas.model.plainElements().some(e => e.t === 'rect' && e.pts.join(',') === '{pts}')");
    }

    private static Task<string[]> SelectedTypesAsync(BoardPage page) =>
        page.Page.EvaluateAsync<string[]>("() => [...window.sharedCanvas.renderer.preview.selection].map(id => window.sharedCanvas.model.element(id).t).sort()");

    [Fact]
    public async Task HollowShapesSelectFromInsideHandlesResizeAndOthersSeeTheDragLive()
    {
        var (ada, ben, _) = await TwoPeopleAsync();
        await ada.ChooseToolAsync("Rectangle");
        await ada.DrawAsync((300, 200), (500, 300));
        await ada.ChooseToolAsync("Line");
        await ada.DrawAsync((650, 200), (750, 300));
        await ben.WaitForSettledAsync(2);
        var box = (await ada.Canvas.BoundingBoxAsync())!;

        // A click inside the hollow rectangle selects it (it used to take a click on its outline).
        await ada.ChooseToolAsync("Select");
        await ada.Canvas.ClickAsync(new() { Position = new() { X = 400, Y = 250 } });
        Assert.Equal(["rect"], await SelectedTypesAsync(ada));

        // Its south-east handle (on its corner) resizes it, and Ben sees
        // the rectangle grow while Ada still holds the mouse button.
        await ada.Page.Mouse.MoveAsync(box.X + 500, box.Y + 300);
        await ada.Page.Mouse.DownAsync();
        await ada.Page.Mouse.MoveAsync(box.X + 600, box.Y + 400, new() { Steps = 6 });
        await ben.WaitForAsync("() => window.sharedCanvas.model.plainElements().some(e => e.t === 'rect' && e.pts[2] > 580 && e.pts[3] > 380)");
        await ada.ScreenshotAsync("resize-handles");
        await ada.Page.Mouse.UpAsync();
        await SameRectAsync(ada, ben);
        var resized = await PtsAsync(ben, "rect");
        Assert.Equal([300.0, 200.0], resized[..2]); // the opposite corner stays exactly where it was
        Assert.InRange(resized[2], 590, 610);
        Assert.InRange(resized[3], 390, 410);
        Assert.Equal(string.Join(",", resized), string.Join(",", await PtsAsync(ada, "rect")));

        // One undo puts it back as it was, for both.
        await ada.Page.Keyboard.PressAsync("Control+z");
        await ben.WaitForAsync("() => window.sharedCanvas.model.plainElements().some(e => e.t === 'rect' && e.pts[2] === 500 && e.pts[3] === 300)");

        // With Shift the rectangle keeps its 2:1 proportions, however the corner is dragged.
        await ada.Canvas.ClickAsync(new() { Position = new() { X = 400, Y = 250 } });
        await ada.Page.Mouse.MoveAsync(box.X + 500, box.Y + 300);
        await ada.Page.Mouse.DownAsync();
        await ada.Page.Keyboard.DownAsync("Shift");
        await ada.Page.Mouse.MoveAsync(box.X + 700, box.Y + 320, new() { Steps = 6 });
        await ada.Page.Keyboard.UpAsync("Shift");
        await ada.Page.Mouse.UpAsync();
        await SameRectAsync(ada, ben);
        var kept = await PtsAsync(ben, "rect");
        Assert.Equal(2.0, (kept[2] - kept[0]) / (kept[3] - kept[1]), 1);
        Assert.True(kept[2] > 600);

        // A move reaches Ben while it is dragged too.
        await ada.Page.Mouse.MoveAsync(box.X + 400, box.Y + 250);
        await ada.Page.Mouse.DownAsync();
        await ada.Page.Mouse.MoveAsync(box.X + 400, box.Y + 330, new() { Steps = 6 });
        await ben.WaitForAsync($"() => window.sharedCanvas.model.plainElements().some(e => e.t === 'rect' && e.pts[1] > {kept[1] + 60})");
        await ada.Page.Mouse.UpAsync();
        await SameRectAsync(ada, ben);
        Assert.Equal(kept[1] + 80, (await PtsAsync(ben, "rect"))[1], 0);

        // The round handle above the box rotates: the line, turned a quarter about its centre, stands upright
        // on Ben's screen, and he sees it turn while Ada drags.
        await ada.Canvas.ClickAsync(new() { Position = new() { X = 700, Y = 250 } });
        Assert.Equal(["line"], await SelectedTypesAsync(ada));
        // The line's box is (650, 200)-(750, 300): centre (700, 250), rotate handle 24 px above (700, 200).
        await ada.Page.Mouse.MoveAsync(box.X + 700, box.Y + 176);
        await ada.Page.Mouse.DownAsync();
        await ada.Page.Keyboard.DownAsync("Shift");
        await ada.Page.Mouse.MoveAsync(box.X + 800, box.Y + 250, new() { Steps = 8 });
        await ben.WaitForAsync("() => window.sharedCanvas.model.plainElements().some(e => e.t === 'line' && Math.abs((e.rot ?? 0) - Math.PI / 2) < 0.001)");
        await ada.Page.Keyboard.UpAsync("Shift");
        await ada.Page.Mouse.UpAsync();
        await ada.WaitForSettledAsync(2);
        await ben.NextFramesAsync();
        await ada.ScreenshotAsync("rotate");
        // The diagonal from (650, 200) to (750, 300) turned 90° runs from (750, 200) to (650, 300).
        Assert.True(await ben.InkAtBoardAsync(735, 215, 3) > 0, "no ink where the turned line runs");
        Assert.Equal(0, await ben.InkAtBoardAsync(665, 215, 3));
        await ada.Page.Keyboard.PressAsync("Control+z");
        await ben.WaitForAsync("() => window.sharedCanvas.model.plainElements().some(e => e.t === 'line' && (e.rot ?? 0) === 0)");

        // Ctrl+A selects everything, from any tool.
        await ada.ChooseToolAsync("Pen");
        await ada.Page.Keyboard.PressAsync("Control+a");
        Assert.Equal(["line", "rect"], await SelectedTypesAsync(ada));
        Assert.Equal("select", await ada.Canvas.GetAttributeAsync("data-tool"));
        ada.AssertNoScriptErrors();
        ben.AssertNoScriptErrors();
    }
}
