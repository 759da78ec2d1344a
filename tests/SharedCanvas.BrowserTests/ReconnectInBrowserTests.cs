using Microsoft.Playwright;

namespace SharedCanvas.BrowserTests;

[Collection(BrowserCollection.Name)]
public sealed class ReconnectInBrowserTests(BrowserStackFixture stack) : BrowserTest(stack)
{
    [Fact]
    public async Task StrokesDrawnWhileTheServerIsDownAreKeptShownAsUnsavedAndSavedOnceItIsBack()
    {
        var ada = new BoardPage(await Stack.NewPersonAsync());
        await ada.RegisterAsync(Names.NewUserName(), Names.Password);
        var boardUrl = await ada.CreateBoardAsync(Names.NewBoardName());
        var shareUrl = await ada.CreateShareLinkAsync(boardUrl, "viewer");
        await ada.WaitUntilLiveAsync();
        await ada.DrawAsync((250, 150), (350, 150));

        // The realtime service crashes; the page notices and keeps what is drawn meanwhile.
        var replicas = Stack.InstancesOf("realtime");
        foreach (var replica in replicas)
        {
            await Stack.KillAsync(replica);
        }

        var status = ada.Page.GetByTestId("connection-state");
        await Assertions.Expect(status).Not.ToHaveAttributeAsync("data-state", "live");
        await ada.DrawAsync((250, 300), (350, 300));
        await ada.DrawAsync((250, 450), (350, 450));
        await Assertions.Expect(ada.Page.GetByTestId("unsaved")).ToContainTextAsync("not yet saved");
        Assert.True(await ada.InkAroundAsync(300, 450) > 0, "the offline stroke is not shown on the drawer's own canvas");

        // Back: the page reconnects by itself, sends what was unsaved, and says so.
        foreach (var replica in replicas)
        {
            await Stack.StartAgainAsync(replica);
        }

        await Assertions.Expect(status).ToHaveAttributeAsync("data-state", "live", new() { Timeout = 30_000 });
        await Assertions.Expect(ada.Page.GetByTestId("unsaved")).ToBeEmptyAsync();

        // Another person opening the board sees all three strokes.
        var ben = new BoardPage(await Stack.NewPersonAsync());
        await ben.RegisterAsync(Names.NewUserName(), Names.Password);
        await ben.JoinAsync(shareUrl);
        await ben.WaitUntilLiveAsync();
        await ben.WaitForAsync("() => Array.from(window.sharedCanvas.model.visibleElements()).filter(e => e.done).length === 3");
        await ben.WaitForAsync("() => window.sharedCanvas.renderer.frames > 0");
        foreach (var y in new[] { 150, 300, 450 })
        {
            // Ada's view was not moved, so her canvas coordinates are board coordinates; Ben's page fitted the drawing.
            Assert.True(await ben.InkAtBoardAsync(300, y) > 0, $"no ink on the other person's canvas at y = {y}");
        }
    }
}
