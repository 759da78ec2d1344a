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

    /// <summary>The forms of a page that would be posted without the antiforgery token (and refused with 400).</summary>
    private static Task<string[]> FormsWithoutTokenAsync(IPage page) =>
        page.EvaluateAsync<string[]>("""
            () => [...document.querySelectorAll('form')]
              .filter(f => f.method === 'post' && !f.querySelector('input[name=__RequestVerificationToken]'))
              .map(f => f.outerHTML.slice(0, 160))
            """);

    [Fact]
    public async Task EveryFormCarriesItsAntiforgeryTokenAndAPostThatFailsShowsTheSitesOwnPage()
    {
        var (ada, ben, boardUrl) = await TwoPeopleAsync();
        var link = await ada.CreateShareLinkAsync(boardUrl, "editor");
        // A board in the trash, so that the trash's forms are on "My boards" too.
        await ada.CreateBoardAsync("Old plans");
        await ada.Page.GotoAsync("/boards");
        await ada.Page.GetByTestId("board-list").Locator("li", new() { HasText = "Old plans" }).GetByText("Rename or delete").ClickAsync();
        await ada.Page.GetByRole(AriaRole.Button, new() { Name = "Move “Old plans” to the trash" }).ClickAsync();

        // Every page with forms: the header's sign-out form on each, and each page's own.
        foreach (var (page, url) in new[]
        {
            (ada.Page, "/boards"), (ada.Page, boardUrl + "/share"), (ada.Page, "/account"), (ada.Page, boardUrl),
            (ben.Page, link), (ben.Page, "/boards"),
        })
        {
            await page.GotoAsync(url);
            Assert.True((await FormsWithoutTokenAsync(page)).Length == 0, $"{url}: {string.Join(" | ", await FormsWithoutTokenAsync(page))}");
        }

        // A form posted without its token (an expired page, a forged post) is refused with the site's own page.
        await ada.Page.GotoAsync("/boards");
        await ada.Page.EvaluateAsync("() => document.querySelectorAll('input[name=__RequestVerificationToken]').forEach(i => i.remove())");
        await ada.Page.GetByLabel("Name of a new board").FillAsync("Never made");
        var refused = await ada.Page.RunAndWaitForResponseAsync(
            () => ada.Page.GetByRole(AriaRole.Button, new() { Name = "Create board" }).ClickAsync(), r => r.Request.Method == "POST");
        Assert.Equal(400, refused.Status);
        await ExpectErrorPageAsync(ada.Page, "That did not work");

        // So is a post whose target is gone: restoring a board that another tab deleted for good meanwhile.
        await ada.Page.GotoAsync("/boards");
        var otherTab = await ada.Page.Context.NewPageAsync();
        await otherTab.GotoAsync("/boards");
        await otherTab.GetByTestId("trash-list").GetByText("Delete for good").ClickAsync();
        await otherTab.GetByRole(AriaRole.Button, new() { Name = "Delete “Old plans” for good" }).ClickAsync();
        await Assertions.Expect(otherTab.GetByTestId("trash-list")).ToHaveCountAsync(0);
        await otherTab.CloseAsync();
        await ada.Page.GetByRole(AriaRole.Button, new() { Name = "Restore “Old plans”" }).ClickAsync();
        await ExpectErrorPageAsync(ada.Page, "Page not found");

        // And the header's "Sign out" signs out.
        await ada.Page.GotoAsync("/boards");
        await ada.Page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Assertions.Expect(ada.Page.Locator(".site-header").GetByRole(AriaRole.Link, new() { Name = "Sign in", Exact = true })).ToBeVisibleAsync();
        Assert.Equal(200, (await ada.Page.GotoAsync(link))!.Status);
        await Assertions.Expect(ada.Page.GetByRole(AriaRole.Link, new() { Name = "Sign in to join" })).ToBeVisibleAsync();
    }
}
