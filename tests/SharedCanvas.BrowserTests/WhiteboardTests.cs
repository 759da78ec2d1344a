using System.Text.Json;
using Microsoft.Playwright;

namespace SharedCanvas.BrowserTests;

/// <summary>Two people on one board in Chromium: every tool, as the other person sees it (model and pixels).</summary>
[Collection(BrowserCollection.Name)]
public sealed class WhiteboardTests(BrowserStackFixture stack) : BrowserTest(stack)
{
    private static JsonElement Last(JsonElement elements) => elements[elements.GetArrayLength() - 1];

    [Fact]
    public async Task EveryToolProducesTheElementTheOtherPersonSees()
    {
        var (ada, ben, _) = await TwoPeopleAsync();
        var count = 0;

        async Task<JsonElement> DrawnAsync(string type)
        {
            count++;
            await ben.WaitForSettledAsync(count);
            await ada.WaitForSettledAsync(count);
            var element = Last(await ben.PlainElementsAsync());
            Assert.Equal(type, element.GetProperty("t").GetString());
            Assert.Equal(Last(await ada.PlainElementsAsync()).GetRawText(), element.GetRawText());
            return element;
        }

        // Pen, with the mouse, in a chosen colour and width.
        await ada.ChooseToolAsync("Pen");
        await ada.Page.GetByRole(AriaRole.Button, new() { Name = "Blue", Exact = true }).ClickAsync();
        await ada.Page.GetByRole(AriaRole.Button, new() { Name = "Thick", Exact = true }).ClickAsync();
        await ada.DrawAsync((230, 120), (310, 170), (390, 130));
        var pen = await DrawnAsync("pen");
        Assert.Equal("#1971c2", pen.GetProperty("color").GetString());
        Assert.Equal(8, pen.GetProperty("width").GetDouble());
        Assert.True(await ben.InkAtBoardAsync(310, 170) > 0);
        await ada.ScreenshotAsync("tool-pen");

        // Pen with a pen: its pressure travels with the points.
        await ada.DrawWithPenAsync((230, 220, 0.2), (270, 230, 0.5), (310, 240, 0.9), (350, 250, 1));
        var pressured = await DrawnAsync("pen");
        var pressures = pressured.GetProperty("pts").EnumerateArray().Where((_, i) => i % 3 == 2).Select(p => p.GetDouble()).ToList();
        Assert.Contains(0.2, pressures);
        Assert.Contains(0.9, pressures);

        // Highlighter: translucent and wide.
        await ada.ChooseToolAsync("Highlighter");
        await ada.Page.GetByRole(AriaRole.Button, new() { Name = "Yellow", Exact = true }).ClickAsync();
        await ada.DrawAsync((230, 300), (410, 300));
        var highlighter = await DrawnAsync("highlighter");
        Assert.True(highlighter.GetProperty("width").GetDouble() > 8);
        Assert.True(await ben.InkAtBoardAsync(320, 300) > 0);
        await ada.ScreenshotAsync("tool-highlighter");

        // Line, arrow, rectangle (filled), ellipse: from corner to corner.
        await ada.Page.GetByRole(AriaRole.Button, new() { Name = "Black", Exact = true }).ClickAsync();
        await ada.Page.GetByRole(AriaRole.Button, new() { Name = "Medium", Exact = true }).ClickAsync();
        foreach (var (tool, type, from, to) in new[]
        {
            ("Line", "line", (470.0, 120.0), (610.0, 180.0)),
            ("Arrow", "arrow", (470.0, 220.0), (610.0, 280.0)),
            ("Rectangle", "rect", (650.0, 120.0), (790.0, 200.0)),
            ("Ellipse", "ellipse", (650.0, 230.0), (790.0, 310.0)),
        })
        {
            await ada.ChooseToolAsync(tool);
            if (type == "rect")
            {
                await ada.Page.GetByRole(AriaRole.Button, new() { Name = "Fill shapes" }).ClickAsync();
            }

            await ada.DrawAsync(from, to);
            var shape = await DrawnAsync(type);
            var pts = shape.GetProperty("pts").EnumerateArray().Select(p => p.GetDouble()).ToArray();
            Assert.Equal([from.Item1, from.Item2, to.Item1, to.Item2], pts);
            // Lines end at their second corner; an ellipse touches its box at the middle of its sides.
            var (checkX, checkY) = type == "ellipse" ? (to.Item1, (from.Item2 + to.Item2) / 2) : to;
            Assert.True(await ben.InkAtBoardAsync(checkX, checkY) > 0, $"no {type} ink on its outline");
            if (type == "rect")
            {
                Assert.True(shape.GetProperty("fill").GetBoolean());
                Assert.True(await ben.InkAtBoardAsync(720, 160, 2) > 0, "the filled rectangle is empty inside");
                await ada.Page.GetByRole(AriaRole.Button, new() { Name = "Fill shapes" }).ClickAsync();
            }

            await ada.ScreenshotAsync($"tool-{type}");
        }

        // Text: click, type, press Escape.
        await ada.ChooseToolAsync("Text");
        await ada.OpenTextBoxAtAsync(850, 130);
        await ada.Page.Keyboard.TypeAsync("Hello, board");
        await ada.Page.Keyboard.PressAsync("Escape");
        var text = await DrawnAsync("text");
        Assert.Equal("Hello, board", text.GetProperty("text").GetString());
        Assert.True(await ben.InkAtBoardAsync(870, 140, 8) > 0);
        await ada.ScreenshotAsync("tool-text");

        // Text is editable later: click it with the text tool, change it.
        await ada.OpenTextBoxAtAsync(855, 138);
        await ada.Page.Keyboard.PressAsync("End");
        await ada.Page.Keyboard.TypeAsync("!");
        await ada.Page.Keyboard.PressAsync("Escape");
        await ben.WaitForAsync("() => window.sharedCanvas.model.plainElements().some(e => e.text === 'Hello, board!')");

        // Select: click the rectangle, drag it 50 to the right; the other person sees it moved.
        await ada.ChooseToolAsync("Select");
        await ada.DrawAsync((650, 160), (700, 160));
        await ben.WaitForAsync("() => window.sharedCanvas.model.plainElements().some(e => e.t === 'rect' && e.pts[0] === 700 && e.pts[2] === 840)");
        await ada.ScreenshotAsync("tool-select");

        // Delete the selection with the keyboard.
        await ada.Page.Keyboard.PressAsync("Delete");
        await ben.WaitForAsync("() => !window.sharedCanvas.model.plainElements().some(e => e.t === 'rect')");
        count--;

        // Eraser: rub over the first pen stroke; it disappears everywhere.
        await ada.ChooseToolAsync("Eraser");
        await ada.DrawAsync((300, 150), (320, 190));
        await ben.WaitForAsync($"() => window.sharedCanvas.model.plainElements().length === {count - 1}");
        count--;
        await ben.NextFramesAsync();
        Assert.Equal(0, await ben.InkAtBoardAsync(310, 170, 2));
        await ada.ScreenshotAsync("tool-eraser");

        // Hand: dragging pans Ada's view only; nothing is sent.
        await ada.ChooseToolAsync("Hand");
        var before = await ben.PlainElementsAsync();
        await ada.DrawAsync((750, 500), (650, 450));
        var view = await ada.Page.EvaluateAsync<JsonElement>("() => ({ x: window.sharedCanvas.viewport.x, y: window.sharedCanvas.viewport.y })");
        Assert.Equal(100, view.GetProperty("x").GetDouble(), 1);
        Assert.Equal(50, view.GetProperty("y").GetDouble(), 1);
        Assert.Equal(before.GetRawText(), (await ben.PlainElementsAsync()).GetRawText());

        ada.AssertNoScriptErrors();
        ben.AssertNoScriptErrors();
    }
}
