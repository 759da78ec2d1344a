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
        await ada.ScreenshotAsync("share");
        await ada.Page.GetByRole(AriaRole.Button, new() { Name = "Revoke link" }).ClickAsync();
        await Assertions.Expect(ada.Page.GetByTestId("share-links")).ToHaveCountAsync(0);
        await ada.Page.GetByRole(AriaRole.Button, new() { Name = $"Remove {benName}" }).ClickAsync();
        await Assertions.Expect(ada.Page.GetByTestId("members")).Not.ToContainTextAsync(benName);
        var response = await ben.Page.GotoAsync(boardUrl);
        Assert.Equal(404, response!.Status);

        // Delete.
        await ada.Page.GotoAsync("/boards");
        await ada.Page.GetByText("Rename or delete").ClickAsync();
        await ada.Page.GetByRole(AriaRole.Button, new() { Name = "Delete “Sprint 12 planning”" }).ClickAsync();
        await Assertions.Expect(ada.Page.GetByText("Sprint 12 planning")).ToHaveCountAsync(0);
        Assert.Equal(404, (await ada.Page.GotoAsync(boardUrl))!.Status);
    }
}
