using Microsoft.Playwright;

namespace SharedCanvas.BrowserTests;

/// <summary>
/// Inviting people as they expect it (issue 15, item 7, and the sharing half of item 1): a link survives
/// creating an account or signing in and lands on the board; the owner copies links, sees and changes each
/// person's role, and is told that a removed person's link still works.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class InvitationTests(BrowserStackFixture stack) : BrowserTest(stack)
{
    [Fact]
    public async Task ASharedLinkSurvivesCreatingAnAccountOrSigningInAndLandsOnTheBoard()
    {
        var ada = new BoardPage(await Stack.NewPersonAsync());
        await ada.RegisterAsync(Names.NewUserName(), Names.Password);
        var boardUrl = await ada.CreateBoardAsync(Names.NewBoardName());
        var boardName = await ada.Page.Locator(".board-name").InnerTextAsync();
        var editorLink = await ada.CreateShareLinkAsync(boardUrl, "editor");
        var viewerLink = await ada.CreateShareLinkAsync(boardUrl, "viewer");

        // "Copy link" puts the link on the clipboard, and says so.
        await ada.Page.Context.GrantPermissionsAsync(["clipboard-read", "clipboard-write"]);
        await ada.Page.GotoAsync(boardUrl + "/share");
        var copy = ada.Page.GetByRole(AriaRole.Button, new() { Name = "Copy editor link" });
        await copy.ClickAsync();
        await Assertions.Expect(copy).ToHaveTextAsync("Copied");
        Assert.Equal(editorLink, await ada.Page.EvaluateAsync<string>("() => navigator.clipboard.readText()"));

        // Cara has no account: the link tells her whose board it is, and creating an account lands her on it.
        var cara = new BoardPage(await Stack.NewPersonAsync());
        var caraName = Names.NewUserName();
        await cara.Page.GotoAsync(editorLink);
        await Assertions.Expect(cara.Page.GetByRole(AriaRole.Heading, new() { Name = $"Join “{boardName}”" })).ToBeVisibleAsync();
        await cara.Page.GetByRole(AriaRole.Link, new() { Name = "Sign in to join" }).ClickAsync();
        await cara.Page.GetByRole(AriaRole.Link, new() { Name = "Create an account" }).ClickAsync();
        await cara.Page.GetByLabel("User name").FillAsync(caraName);
        await cara.Page.GetByLabel("Password", new() { Exact = false }).First.FillAsync(Names.Password);
        await cara.Page.GetByLabel("Repeat password").FillAsync(Names.Password);
        await cara.Page.GetByRole(AriaRole.Button, new() { Name = "Create account" }).ClickAsync();
        await cara.Page.WaitForURLAsync(boardUrl);
        await cara.WaitUntilLiveAsync();
        await Assertions.Expect(cara.Page.GetByTestId("toolbar")).ToBeVisibleAsync();

        // Dan has an account but is signed out: signing in from the link lands him on the board, as a viewer.
        var dan = new BoardPage(await Stack.NewPersonAsync());
        var danName = Names.NewUserName();
        await dan.RegisterAsync(danName, Names.Password);
        await dan.Page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Assertions.Expect(dan.Page.Locator(".site-header").GetByRole(AriaRole.Link, new() { Name = "Sign in", Exact = true })).ToBeVisibleAsync();
        await dan.Page.GotoAsync(viewerLink);
        await dan.Page.GetByRole(AriaRole.Link, new() { Name = "Sign in to join" }).ClickAsync();
        await dan.Page.GetByLabel("User name").FillAsync(danName);
        await dan.Page.GetByLabel("Password").FillAsync(Names.Password);
        await dan.Page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await dan.Page.WaitForURLAsync(boardUrl);
        await dan.WaitUntilLiveAsync();
        await Assertions.Expect(dan.Page.GetByTestId("view-only")).ToBeVisibleAsync();

        // The owner sees each person's role, and changes Dan's without removing him: his next visit has tools.
        await ada.Page.GotoAsync(boardUrl + "/share");
        await Assertions.Expect(ada.Page.GetByLabel($"Role of {caraName}", new() { Exact = true })).ToHaveValueAsync("editor");
        await Assertions.Expect(ada.Page.GetByLabel($"Role of {danName}", new() { Exact = true })).ToHaveValueAsync("viewer");
        await ada.ScreenshotAsync("share");
        await ada.Page.GetByLabel($"Role of {danName}", new() { Exact = true }).SelectOptionAsync("editor");
        await ada.Page.GetByRole(AriaRole.Button, new() { Name = $"Change role of {danName}" }).ClickAsync();
        await Assertions.Expect(ada.Page.GetByLabel($"Role of {danName}", new() { Exact = true })).ToHaveValueAsync("editor");
        await dan.OpenAsync(boardUrl);
        await dan.WaitUntilLiveAsync();
        await Assertions.Expect(dan.Page.GetByTestId("toolbar")).ToBeVisibleAsync();

        // Removing Cara says that the links still let anyone in, and offers to revoke them too.
        await ada.Page.GetByRole(AriaRole.Button, new() { Name = $"Remove {caraName}" }).ClickAsync();
        var notice = ada.Page.GetByTestId("removed-notice");
        await Assertions.Expect(notice).ToContainTextAsync($"{caraName} no longer has access");
        await Assertions.Expect(notice).ToContainTextAsync("2 links to this board still work");
        await notice.GetByRole(AriaRole.Button, new() { Name = "Revoke all links too" }).ClickAsync();
        await Assertions.Expect(ada.Page.GetByTestId("share-links")).ToHaveCountAsync(0);
        Assert.Equal(404, (await cara.Page.GotoAsync(editorLink))!.Status);
        Assert.Equal(404, (await cara.Page.GotoAsync(boardUrl))!.Status);
        ada.AssertNoScriptErrors();
    }
}
