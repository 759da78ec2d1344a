using System.Text.Json;
using Microsoft.Playwright;

namespace SharedCanvas.BrowserTests;

/// <summary>Collaboration-safe undo and redo, viewers, presence and cursors, export and import, zoom and pan.</summary>
[Collection(BrowserCollection.Name)]
public sealed class CollaborationTests(BrowserStackFixture stack) : BrowserTest(stack)
{
    private static async Task<string[]> IdsAsync(BoardPage page) =>
        [.. (await page.PlainElementsAsync()).EnumerateArray().Select(e => e.GetProperty("id").GetString()!)];

    /// <summary>Waits until both pages hold the same board with no change unsaved; returns it.</summary>
    private static async Task<string> ConvergedAsync(BoardPage a, BoardPage b)
    {
        const string settled = "() => window.sharedCanvas.connection.unsavedCount === 0 && window.sharedCanvas.model.pending.length === 0";
        await a.WaitForAsync(settled);
        await b.WaitForAsync(settled);
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            var (left, right) = ((await a.PlainElementsAsync()).GetRawText(), (await b.PlainElementsAsync()).GetRawText());
            if (left == right)
            {
                return left;
            }

            Assert.True(DateTime.UtcNow < deadline, $"the pages did not converge:\n{left}\n{right}");
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task UndoAndRedoByTwoPeopleInterleavedConvergeAndNeverRemoveTheOthersWork()
    {
        var (ada, ben, _) = await TwoPeopleAsync();
        await ada.DrawAsync((200, 150), (300, 150));   // a1
        await ConvergedAsync(ada, ben);
        await ben.DrawAsync((200, 250), (300, 250));   // b1
        await ConvergedAsync(ada, ben);
        await ada.DrawAsync((200, 350), (300, 350));   // a2
        await ConvergedAsync(ada, ben);
        await ben.DrawAsync((200, 450), (300, 450));   // b2
        var all = await IdsAsync(ada);
        await ConvergedAsync(ada, ben);
        var (a1, b1, a2, b2) = (all[0], all[1], all[2], all[3]);

        // Ada undoes twice: her own two strokes go, Ben's stay.
        await ada.Page.Keyboard.PressAsync("Control+z");
        await ConvergedAsync(ada, ben);
        Assert.Equal([a1, b1, b2], await IdsAsync(ben));
        await ada.Page.Keyboard.PressAsync("Control+z");
        await ConvergedAsync(ada, ben);
        Assert.Equal([b1, b2], await IdsAsync(ben));

        // Ben undoes once (his b2), Ada redoes once (her a1 comes back), Ben redoes (b2 is back).
        await ben.Page.Keyboard.PressAsync("Control+z");
        await ConvergedAsync(ada, ben);
        Assert.Equal([b1], await IdsAsync(ada));
        await ada.Page.Keyboard.PressAsync("Control+Shift+z");
        await ConvergedAsync(ada, ben);
        Assert.Equal([a1, b1], await IdsAsync(ada));
        await ben.Page.Keyboard.PressAsync("Control+y");
        var board = await ConvergedAsync(ada, ben);
        Assert.Equal([a1, b1, b2], await IdsAsync(ada));
        Assert.DoesNotContain(a2, board);

        // Ada moves Ben's b1; Ben deletes it; Ada's undo of the move harms nothing.
        await ada.ChooseToolAsync("Select");
        await ada.DrawAsync((250, 250), (250, 300));
        await ConvergedAsync(ada, ben);
        await ben.ChooseToolAsync("Select");
        await ben.Canvas.ClickAsync(new() { Position = new() { X = 250, Y = 300 } });
        await ben.Page.Keyboard.PressAsync("Delete");
        await ConvergedAsync(ada, ben);
        await ada.Page.Keyboard.PressAsync("Escape");
        await ada.Page.Keyboard.PressAsync("Control+z");
        await ConvergedAsync(ada, ben);
        Assert.Equal([a1, b2], await IdsAsync(ada));

        // Ben's undo brings b1 back where Ada had moved it, and the undone move is still undone.
        await ben.Page.Keyboard.PressAsync("Control+z");
        await ConvergedAsync(ada, ben);
        var restored = (await ada.PlainElementsAsync()).EnumerateArray().Single(e => e.GetProperty("id").GetString() == b1);
        Assert.Equal(250, restored.GetProperty("pts")[1].GetDouble(), 0);
        ada.AssertNoScriptErrors();
        ben.AssertNoScriptErrors();
    }

    [Fact]
    public async Task OnlyTheOwnerClearsTheBoardAndTheClearIsUndoable()
    {
        var (ada, ben, _) = await TwoPeopleAsync();
        await ada.DrawAsync((200, 150), (300, 150));
        await ben.DrawAsync((200, 250), (300, 250));
        await ConvergedAsync(ada, ben);
        Assert.Equal(0, await ben.Page.GetByRole(AriaRole.Button, new() { Name = "Clear board" }).CountAsync());

        // Clearing asks first; Cancel (or Esc) leaves everything.
        await ada.Page.GetByRole(AriaRole.Button, new() { Name = "Clear board" }).ClickAsync();
        var dialog = ada.Page.GetByRole(AriaRole.Dialog, new() { Name = "Clear the whole board?" });
        await Assertions.Expect(dialog).ToBeVisibleAsync();
        await Assertions.Expect(dialog).ToContainTextAsync("You can undo it.");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Cancel" }).ClickAsync();
        await Assertions.Expect(dialog).ToBeHiddenAsync();
        await ada.Page.GetByRole(AriaRole.Button, new() { Name = "Clear board" }).ClickAsync();
        await ada.Page.Keyboard.PressAsync("Escape");
        await Assertions.Expect(dialog).ToBeHiddenAsync();
        await ada.NextFramesAsync();
        Assert.Equal(2, (await IdsAsync(ada)).Length);

        await ada.Page.GetByRole(AriaRole.Button, new() { Name = "Clear board" }).ClickAsync();
        await ada.ScreenshotAsync("clear-confirmation");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Clear everything" }).ClickAsync();
        await ben.WaitForAsync("() => window.sharedCanvas.model.plainElements().length === 0");
        await ConvergedAsync(ada, ben);
        Assert.Empty(await IdsAsync(ben));

        await ada.Page.GetByRole(AriaRole.Button, new() { Name = "Undo" }).ClickAsync();
        await ConvergedAsync(ada, ben);
        Assert.Equal(2, (await IdsAsync(ben)).Length);
    }

    [Fact]
    public async Task ViewerHasNoToolsAndAForgedWriteFromTheirSocketIsRefused()
    {
        var (ada, ben, _) = await TwoPeopleAsync("viewer");
        await ada.DrawAsync((200, 150), (300, 150));
        await ConvergedAsync(ada, ben);

        Assert.Equal(0, await ben.Page.GetByTestId("toolbar").CountAsync());
        await Assertions.Expect(ben.Page.GetByTestId("view-only")).ToBeVisibleAsync();
        await ben.DrawAsync((200, 350), (300, 350));

        // A write forged straight into the viewer's socket is refused by the server.
        var refusal = await ben.Page.EvaluateAsync<string>("""
            () => new Promise(resolve => {
              const connection = window.sharedCanvas.connection;
              connection.addEventListener('servererror', e => resolve(e.detail.code), { once: true });
              connection.raw({ type: 'op', n: 999999, op: { k: 'add', el: { id: 'forged', t: 'pen', pts: [1, 1, 0.5] } } });
            })
            """);
        Assert.Equal("forbidden", refusal);
        await Task.Delay(500);
        Assert.Single(await IdsAsync(ada));
        Assert.Single(await IdsAsync(ben));
    }

    [Fact]
    public async Task PresenceAndCursorsAppearAndDisappear()
    {
        var ada = new BoardPage(await Stack.NewPersonAsync());
        var benName = Names.NewUserName();
        await ada.RegisterAsync(Names.NewUserName(), Names.Password);
        var boardUrl = await ada.CreateBoardAsync(Names.NewBoardName());
        var link = await ada.CreateShareLinkAsync(boardUrl, "viewer");
        await ada.WaitUntilLiveAsync();

        var ben = new BoardPage(await Stack.NewPersonAsync());
        await ben.RegisterAsync(benName, Names.Password);
        await ben.JoinAsync(link);
        await ben.WaitUntilLiveAsync();
        var people = ada.Page.GetByTestId("presence");
        await Assertions.Expect(people).ToContainTextAsync(benName);

        await ben.Page.Mouse.MoveAsync(400, 300);
        await ben.Page.Mouse.MoveAsync(420, 320, new() { Steps = 5 });
        var cursor = ada.Page.Locator(".cursor", new() { HasText = benName });
        await Assertions.Expect(cursor.Locator("span")).ToBeVisibleAsync();
        await ada.ScreenshotAsync("presence-and-cursors");

        await ben.Page.Mouse.MoveAsync(600, 10); // onto the page header: the pointer left the canvas
        await Assertions.Expect(cursor).ToHaveCountAsync(0);

        await ben.Page.CloseAsync();
        await Assertions.Expect(people).Not.ToContainTextAsync(benName, new() { Timeout = 15_000 });
    }

    [Fact]
    public async Task ExportsContainTheDrawingAndJsonRoundTripsIntoANewBoard()
    {
        var (ada, _, _) = await TwoPeopleAsync();
        await ada.DrawAsync((200, 150), (260, 200), (320, 160));
        await ada.ChooseToolAsync("Rectangle");
        await ada.DrawAsync((400, 150), (520, 240));
        await ada.ChooseToolAsync("Text");
        await ada.OpenTextBoxAtAsync(600, 160);
        await ada.Page.Keyboard.TypeAsync("Exported <text> & more");
        await ada.Page.Keyboard.PressAsync("Escape");
        await ada.WaitForSettledAsync(3);

        // PNG of the whole drawing: real pixels, decoded by the browser.
        var png = await DownloadAsync(ada, "PNG of the whole drawing");
        Assert.Equal([0x89, 0x50, 0x4E, 0x47], png[..4]);
        var inked = await ada.Page.EvaluateAsync<int>("""
            async base64 => {
              const bytes = Uint8Array.from(atob(base64), c => c.charCodeAt(0));
              const blob = new Blob([bytes], { type: 'image/png' });
              const bitmap = await createImageBitmap(blob);
              const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
              const ctx = canvas.getContext('2d');
              ctx.drawImage(bitmap, 0, 0);
              const data = ctx.getImageData(0, 0, bitmap.width, bitmap.height).data;
              let ink = 0;
              for (let i = 0; i < data.length; i += 4) if (data[i] < 200 || data[i + 1] < 200 || data[i + 2] < 200) ink++;
              return ink;
            }
            """, Convert.ToBase64String(png));
        Assert.True(inked > 500, $"the PNG has only {inked} inked pixels");
        Assert.True((await DownloadAsync(ada, "PNG of this view")).Length > 1000);

        // SVG: the same drawing as vector elements.
        var svg = System.Xml.Linq.XDocument.Parse(System.Text.Encoding.UTF8.GetString(await DownloadAsync(ada, "SVG")));
        System.Xml.Linq.XNamespace ns = "http://www.w3.org/2000/svg";
        Assert.Single(svg.Descendants(ns + "path"), p => (string?)p.Attribute("data-type") == "pen");
        Assert.Single(svg.Descendants(ns + "rect"), r => (string?)r.Attribute("data-type") == "rect");
        Assert.Equal("Exported <text> & more", svg.Descendants(ns + "text").Single().Value);

        // JSON: imported into a new board through "My boards", it gives the same elements.
        var json = await DownloadAsync(ada, "JSON (to import elsewhere)");
        var file = Path.Combine(Stack.DataDirectory, "exported.json");
        await File.WriteAllBytesAsync(file, json);
        await ada.Page.GotoAsync("/boards");
        await ada.Page.GetByLabel("Import a board from a JSON file").SetInputFilesAsync(file);
        await ada.Page.WaitForURLAsync("**/boards/*");
        await ada.WaitUntilLiveAsync();
        await ada.WaitForSettledAsync(3);
        var reimported = await DownloadAsync(ada, "JSON (to import elsewhere)");
        Assert.Equal(ElementsOf(json), ElementsOf(reimported));
    }

    private static string ElementsOf(byte[] export) =>
        JsonDocument.Parse(export).RootElement.GetProperty("elements").GetRawText();

    private static async Task<byte[]> DownloadAsync(BoardPage page, string item)
    {
        await page.Page.GetByLabel("Export").ClickAsync();
        var download = await page.Page.RunAndWaitForDownloadAsync(() => page.Page.GetByRole(AriaRole.Button, new() { Name = item }).ClickAsync());
        return await File.ReadAllBytesAsync((await download.PathAsync())!);
    }

    [Fact]
    public async Task ZoomAndPanKeepStrokesAlignedBetweenPagesAtDifferentZoomLevels()
    {
        var (ada, ben, _) = await TwoPeopleAsync();
        for (var i = 0; i < 3; i++)
        {
            await ada.Page.GetByRole(AriaRole.Button, new() { Name = "Zoom in" }).ClickAsync();
        }

        await ada.ChooseToolAsync("Hand");
        await ada.DrawAsync((700, 500), (600, 420));
        for (var i = 0; i < 2; i++)
        {
            await ben.Page.GetByRole(AriaRole.Button, new() { Name = "Zoom out" }).ClickAsync();
        }

        await ada.ChooseToolAsync("Pen");
        await ada.DrawAsync((300, 300), (400, 350), (500, 300));
        await ben.WaitForSettledAsync(1);
        var element = (await ben.PlainElementsAsync())[0];
        var pts = element.GetProperty("pts").EnumerateArray().Select(p => p.GetDouble()).ToArray();

        // Ada's first screen point, in board coordinates, is the stroke's first point for Ben too.
        var first = await ada.Page.EvaluateAsync<JsonElement>("""
            () => { const r = document.getElementById('canvas').getBoundingClientRect(); return window.sharedCanvas.viewport.toBoard(r.left + 300, r.top + 300); }
            """);
        Assert.Equal(first.GetProperty("x").GetDouble(), pts[0], 1);
        Assert.Equal(first.GetProperty("y").GetDouble(), pts[1], 1);
        var scales = (await ada.Page.EvaluateAsync<double>("() => window.sharedCanvas.viewport.scale"), await ben.Page.EvaluateAsync<double>("() => window.sharedCanvas.viewport.scale"));
        Assert.True(scales.Item1 > 1.9 && scales.Item2 < 0.7, $"zoom levels {scales}");

        // And both canvases show ink where that board point lands on each screen.
        var middle = pts.Length / 6 * 3;
        Assert.True(await ada.InkAtBoardAsync(pts[middle], pts[middle + 1]) > 0);
        Assert.True(await ben.InkAtBoardAsync(pts[middle], pts[middle + 1]) > 0);
        await ben.ScreenshotAsync("zoomed-out");
    }
}
