using Microsoft.Playwright;

namespace SharedCanvas.BrowserTests;

/// <summary>What a browser shows for a board that is not there, a dead share link, an unknown address: the site's own page, with a way on.</summary>
[Collection(BrowserCollection.Name)]
public sealed class ErrorPagesTests(BrowserStackFixture stack) : BrowserTest(stack)
{
    private static async Task ExpectErrorPageAsync(IPage page, string heading)
    {
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = heading })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByTestId("error-page").GetByRole(AriaRole.Link, new() { Name = "My boards" })).ToBeVisibleAsync();
        Assert.DoesNotContain("\"status\":", await page.InnerTextAsync("body"));
    }

    [Fact]
    public async Task MissingBoardsDeadLinksAndUnknownAddressesShowTheSitesOwnPagesNeverJson()
    {
        var ada = new BoardPage(await Stack.NewPersonAsync());
        var ben = new BoardPage(await Stack.NewPersonAsync());
        await ada.RegisterAsync(Names.NewUserName(), Names.Password);
        await ben.RegisterAsync(Names.NewUserName(), Names.Password);

        // A board that does not exist for Ben (404, as for everyone it was not shared with).
        var boardUrl = await ada.CreateBoardAsync("Private plans");
        var response = await ben.Page.GotoAsync(boardUrl);
        Assert.Equal(404, response!.Status);
        await ExpectErrorPageAsync(ben.Page, "This board is not here");
        await ben.ScreenshotAsync("error-board-not-here");

        // A share link its owner revoked.
        var link = await ada.CreateShareLinkAsync(boardUrl, "viewer");
        await ada.Page.GotoAsync(boardUrl + "/share");
        await ada.Page.GetByRole(AriaRole.Button, new() { Name = "Revoke link" }).ClickAsync();
        await Assertions.Expect(ada.Page.GetByTestId("share-links")).ToHaveCountAsync(0);
        Assert.Equal(404, (await ben.Page.GotoAsync(link))!.Status);
        await ExpectErrorPageAsync(ben.Page, "This link does not work any more");

        // An address that is nothing at all.
        Assert.Equal(404, (await ben.Page.GotoAsync("/no/such/page"))!.Status);
        await ExpectErrorPageAsync(ben.Page, "Page not found");

        // The API keeps answering with problem details.
        var api = await ben.Page.APIRequest.GetAsync(boardUrl.Replace("/boards/", "/api/boards/") + "/links");
        Assert.Equal(404, api.Status);
        Assert.StartsWith("application/problem+json", api.Headers["content-type"]);
    }
}
