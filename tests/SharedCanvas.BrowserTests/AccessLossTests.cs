using System.Text.Json;
using Microsoft.Playwright;

namespace SharedCanvas.BrowserTests;

/// <summary>
/// What a person sees when their access changes while the board is open (issue 15, item 1): told plainly,
/// read-only at once, and their unsaved strokes offered as a file; a role change without leaving the page.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class AccessLossTests(BrowserStackFixture stack) : BrowserTest(stack)
{
    private static Task<int> CountAsync(BoardPage page) =>
        page.Page.EvaluateAsync<int>("() => window.sharedCanvas.model.plainElements().length");

    [Fact]
    public async Task ARemovedEditorIsToldPlainlyLosesTheToolsAndGetsTheirUnsavedStrokesAsAFile()
    {
        var (ada, ben, boardUrl) = await TwoPeopleAsync();
        var benName = await ben.Page.GetByTestId("signed-in-user").InnerTextAsync();
        await ben.DrawAsync((200, 150), (300, 150));
        await ada.WaitForSettledAsync(1);

        // Two more strokes of Ben's have not reached the server when he is removed (a slow network: the page
        // holds them back here). Unsaved work is counted in strokes, not in operations.
        await ben.Page.EvaluateAsync("() => { window.sharedCanvas.connection.transmit = () => {}; }");
        await ben.DrawAsync((200, 250), (300, 250));
        await ben.DrawAsync((200, 300), (300, 300));
        await Assertions.Expect(ben.Page.GetByTestId("unsaved")).ToHaveTextAsync("2 strokes not yet saved");

        await ada.Page.GotoAsync(boardUrl + "/share");
        await ada.Page.GetByRole(AriaRole.Button, new() { Name = $"Remove {benName}" }).ClickAsync();

        // Ben is told, in words, what happened and what became of his strokes; the tools are gone.
        var banner = ben.Page.GetByTestId("access-lost");
        await Assertions.Expect(banner).ToBeVisibleAsync();
        await Assertions.Expect(banner).ToContainTextAsync("Your access to this board was withdrawn.");
        await Assertions.Expect(banner).ToContainTextAsync("2 strokes you drew were not saved on the board.");
        await Assertions.Expect(ben.Page.GetByTestId("toolbar")).ToBeHiddenAsync();
        await Assertions.Expect(ben.Page.GetByTestId("style-panel")).ToBeHiddenAsync();
        await Assertions.Expect(ben.Page.GetByTestId("connection-state")).ToContainTextAsync("Access withdrawn");
        await Assertions.Expect(ben.Page.GetByTestId("connection-state")).Not.ToContainTextAsync("not yet saved");
        await ben.ScreenshotAsync("access-withdrawn");

        // Drawing does nothing now, and the keys that would undo do nothing either.
        var shown = await CountAsync(ben);
        await ben.DrawAsync((400, 400), (500, 400));
        await ben.Page.Keyboard.PressAsync("Control+z");
        Assert.Equal(shown, await CountAsync(ben));

        // The unsaved strokes come as a file that "Import a board" takes.
        var download = await ben.Page.RunAndWaitForDownloadAsync(() =>
            banner.GetByRole(AriaRole.Button, new() { Name = "Download them as a file" }).ClickAsync());
        var path = await download.PathAsync();
        using var file = JsonDocument.Parse(await File.ReadAllTextAsync(path!));
        Assert.Equal("sharedcanvas", file.RootElement.GetProperty("format").GetString());
        var ys = file.RootElement.GetProperty("elements").EnumerateArray().Select(e => e.GetProperty("pts")[1].GetDouble()).Order().ToArray();
        Assert.Equal([250.0, 300.0], ys);

        // The board holds Ben's first stroke only.
        await ada.OpenAsync(boardUrl);
        await ada.WaitUntilLiveAsync();
        await ada.WaitForSettledAsync(1);
        ben.AssertNoScriptErrors();
    }

    [Fact]
    public async Task AnEditorMadeAViewerLosesTheToolsAtOnceAndADeletedBoardSaysSo()
    {
        var (ada, ben, boardUrl) = await TwoPeopleAsync();
        var benName = await ben.Page.GetByTestId("signed-in-user").InnerTextAsync();

        await ada.Page.GotoAsync(boardUrl + "/share");
        await ada.Page.GetByLabel($"Role of {benName}", new() { Exact = true }).SelectOptionAsync("viewer");
        await ada.Page.GetByRole(AriaRole.Button, new() { Name = $"Change role of {benName}" }).ClickAsync();

        await Assertions.Expect(ben.Page.GetByTestId("role-changed")).ToContainTextAsync("The owner made you a viewer");
        await Assertions.Expect(ben.Page.GetByTestId("toolbar")).ToBeHiddenAsync();
        await ben.WaitUntilLiveAsync(); // still watching, live
        var shown = await CountAsync(ben);
        await ben.DrawAsync((200, 350), (300, 350));
        Assert.Equal(shown, await CountAsync(ben));

        // The owner deletes the board: Ben's page says so.
        await ada.Page.GotoAsync("/boards");
        var name = await ada.Page.GetByTestId("board-list").Locator("a").First.InnerTextAsync();
        await ada.Page.GetByText("Rename or delete").First.ClickAsync();
        await ada.Page.GetByRole(AriaRole.Button, new() { Name = $"Move “{name}” to the trash" }).ClickAsync();
        await Assertions.Expect(ben.Page.GetByTestId("access-lost")).ToContainTextAsync("This board was deleted.");
        await Assertions.Expect(ben.Page.GetByTestId("connection-state")).ToContainTextAsync("Board deleted");
        ben.AssertNoScriptErrors();
    }
}
