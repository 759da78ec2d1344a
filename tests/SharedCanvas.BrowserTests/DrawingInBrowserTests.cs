using Microsoft.Playwright;

namespace SharedCanvas.BrowserTests;

[Collection(BrowserCollection.Name)]
public sealed class DrawingInBrowserTests(BrowserStackFixture stack) : BrowserTest(stack)
{
    [Fact]
    public async Task StrokeDrawnWithTheMouseAppearsOnAnotherPersonsCanvas()
    {
        // Arrange: two people in two browser profiles; Ada creates a board, Ben opens its link.
        var (ada, ben, _) = await TwoPeopleAsync();

        // Act: Ada draws a stroke with the mouse.
        await ada.DrawAsync((200, 200), (300, 250), (400, 300));

        // Assert: Ben's page holds the finished stroke, and his canvas shows its ink where it was drawn.
        await ben.WaitForAsync("() => { const e = Array.from(window.sharedCanvas.model.visibleElements()); return e.length === 1 && e[0].done; }");
        var elements = await ben.ElementsAsync();
        Assert.Equal("pen", elements[0].GetProperty("t").GetString());
        Assert.True(elements[0].GetProperty("pts").GetArrayLength() >= 9);
        await ben.WaitForAsync("() => window.sharedCanvas.renderer.frames > 0");
        Assert.True(await ben.InkAroundAsync(300, 250) > 0, "no ink on Ben's canvas where Ada drew");
        Assert.True(await ben.InkAroundAsync(400, 300) > 0, "no ink at the end of the stroke");
        Assert.Equal(0, await ben.InkAroundAsync(600, 600));
        await Assertions.Expect(ada.Page.GetByTestId("unsaved")).ToBeEmptyAsync();
        ada.AssertNoScriptErrors();
        ben.AssertNoScriptErrors();
    }
}
