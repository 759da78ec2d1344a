using Microsoft.Playwright;

namespace SharedCanvas.BrowserTests;

/// <summary>"My boards", "Shared with me" and the sharing page, driven as a person would.</summary>
[Collection(BrowserCollection.Name)]
public sealed class BoardsPageTests(BrowserStackFixture stack) : BrowserTest(stack)
{
    [Fact]
    public async Task OwnerRenamesSharesRevokesAndDeletesABoardFromThePages()
    {
        var ada = new BoardPage(await Stack.NewPersonAsync());
        var ben = new BoardPage(await Stack.NewPersonAsync());
        await ada.RegisterAsync(Names.NewUserName(), Names.Password);
        var benName = Names.NewUserName();
        await ben.RegisterAsync(benName, Names.Password);
        var boardUrl = await ada.CreateBoardAsync("Sprint planning");

        // Rename on "My boards".
        await ada.Page.GotoAsync("/boards");
        await ada.Page.GetByText("Rename or delete").ClickAsync();
        await ada.Page.GetByLabel("New name of Sprint planning").FillAsync("Sprint 12 planning");
        await ada.Page.GetByRole(AriaRole.Button, new() { Name = "Rename", Exact = true }).ClickAsync();
        await Assertions.Expect(ada.Page.GetByTestId("board-list")).ToContainTextAsync("Sprint 12 planning");
        await ada.ScreenshotAsync("my-boards");

        // Share with Ben as an editor; it appears under his "Shared with me".
        var link = await ada.CreateShareLinkAsync(boardUrl, "editor");
        await ben.JoinAsync(link);
        await ben.Page.GotoAsync("/boards");
        await Assertions.Expect(ben.Page.GetByTestId("shared-list")).ToContainTextAsync("Sprint 12 planning");
        await Assertions.Expect(ben.Page.GetByTestId("shared-list")).ToContainTextAsync("editor");

        // The owner sees who has access, revokes the link, and removes Ben.
        await ada.Page.GotoAsync(boardUrl + "/share");
        await Assertions.Expect(ada.Page.GetByTestId("members")).ToContainTextAsync(benName);
        await ada.Page.GetByRole(AriaRole.Button, new() { Name = "Revoke link" }).ClickAsync();
        await Assertions.Expect(ada.Page.GetByTestId("share-links")).ToHaveCountAsync(0);
        await ada.Page.GetByRole(AriaRole.Button, new() { Name = $"Remove {benName}" }).ClickAsync();
        await Assertions.Expect(ada.Page.GetByTestId("members")).Not.ToContainTextAsync(benName);
        var response = await ben.Page.GotoAsync(boardUrl);
        Assert.Equal(404, response!.Status);

        // Delete.
        await ada.Page.GotoAsync("/boards");
        await ada.Page.GetByText("Rename or delete").ClickAsync();
        await ada.Page.GetByRole(AriaRole.Button, new() { Name = "Move “Sprint 12 planning” to the trash" }).ClickAsync();
        await Assertions.Expect(ada.Page.GetByTestId("board-list")).ToHaveCountAsync(0);
        await Assertions.Expect(ada.Page.GetByTestId("trash-list")).ToContainTextAsync("Sprint 12 planning");
        Assert.Equal(404, (await ada.Page.GotoAsync(boardUrl))!.Status);
    }

    [Fact]
    public async Task ADeletedBoardWaitsInTheTrashAndComesBackWithItsDrawingAndItsPeople()
    {
        var (ada, ben, boardUrl) = await TwoPeopleAsync();
        await ada.DrawAsync((200, 150), (300, 150));
        await ben.WaitForSettledAsync(1);
        var name = await ada.Page.Locator(".board-name").InnerTextAsync();

        // Deleting moves it to the trash, says so, and offers an undo.
        await ada.Page.GotoAsync("/boards");
        await ada.Page.GetByText("Rename or delete").ClickAsync();
        await ada.Page.GetByRole(AriaRole.Button, new() { Name = $"Move “{name}” to the trash" }).ClickAsync();
        await Assertions.Expect(ada.Page.GetByTestId("trashed-notice")).ToContainTextAsync($"“{name}” is in the trash");
        var trash = ada.Page.GetByTestId("trash-list");
        await Assertions.Expect(trash).ToContainTextAsync(name);
        var purgeDay = DateTime.UtcNow.AddDays(30).ToString("d MMMM yyyy", System.Globalization.CultureInfo.InvariantCulture);
        await Assertions.Expect(trash).ToContainTextAsync($"gone for good on {purgeDay}");
        await ada.ScreenshotAsync("trash");
        Assert.Equal(404, (await ben.Page.GotoAsync(boardUrl))!.Status);

        // Restored from the trash: the drawing is there for both, and Ben is still on it.
        await ada.Page.GetByRole(AriaRole.Button, new() { Name = $"Restore “{name}”" }).ClickAsync();
        await Assertions.Expect(ada.Page.GetByTestId("board-list")).ToContainTextAsync(name);
        await Assertions.Expect(ada.Page.GetByTestId("trash-list")).ToHaveCountAsync(0);
        await ada.OpenAsync(boardUrl);
        await ada.WaitUntilLiveAsync();
        await ada.WaitForSettledAsync(1);
        await ben.OpenAsync(boardUrl);
        await ben.WaitUntilLiveAsync();
        await ben.WaitForSettledAsync(1);
        await ben.NextFramesAsync();
        Assert.True(await ben.InkAtBoardAsync(250, 150) > 0);

        // The notice's Undo brings it back too.
        await ada.Page.GotoAsync("/boards");
        await ada.Page.GetByText("Rename or delete").ClickAsync();
        await ada.Page.GetByRole(AriaRole.Button, new() { Name = $"Move “{name}” to the trash" }).ClickAsync();
        await ada.Page.GetByTestId("trashed-notice").GetByRole(AriaRole.Button, new() { Name = "Undo" }).ClickAsync();
        await Assertions.Expect(ada.Page.GetByTestId("board-list")).ToContainTextAsync(name);
        Assert.Equal(200, (await ben.Page.GotoAsync(boardUrl))!.Status);

        // Deleted for good, after a confirmation: gone from the trash, and its address is a dead end.
        await ada.Page.GotoAsync("/boards");
        await ada.Page.GetByText("Rename or delete").ClickAsync();
        await ada.Page.GetByRole(AriaRole.Button, new() { Name = $"Move “{name}” to the trash" }).ClickAsync();
        await ada.Page.GetByTestId("trash-list").GetByText("Delete for good").ClickAsync();
        await Assertions.Expect(ada.Page.GetByTestId("trash-list")).ToContainTextAsync("This cannot be undone.");
        await ada.Page.GetByRole(AriaRole.Button, new() { Name = $"Delete “{name}” for good" }).ClickAsync();
        await Assertions.Expect(ada.Page.GetByTestId("trash-list")).ToHaveCountAsync(0);
        ada.AssertNoScriptErrors();
        Assert.Equal(404, (await ada.Page.GotoAsync(boardUrl))!.Status);
    }
}
