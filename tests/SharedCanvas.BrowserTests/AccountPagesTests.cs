using Microsoft.Playwright;

namespace SharedCanvas.BrowserTests;

/// <summary>The account pages as a new person meets them.</summary>
[Collection(BrowserCollection.Name)]
public sealed class AccountPagesTests(BrowserStackFixture stack) : BrowserTest(stack)
{
    [Fact]
    public async Task TheRegisterFormSaysWhyAPasswordIsTooEasyToGuessWhileItIsTyped()
    {
        var person = new BoardPage(await Stack.NewPersonAsync());
        var page = person.Page;
        await page.GotoAsync("/account/register");
        await page.GetByLabel("User name").FillAsync("ada-lovelace");
        var password = page.GetByLabel("Password", new() { Exact = false }).First;
        var verdict = page.GetByTestId("password-strength");

        await password.PressSequentiallyAsync("Summer2024", new() { Delay = 20 });
        await Assertions.Expect(verdict).ToContainTextAsync("too easy to guess");

        await password.FillAsync("");
        await password.PressSequentiallyAsync("ada-lovelace1", new() { Delay = 20 });
        await Assertions.Expect(verdict).ToContainTextAsync("personal");

        await password.FillAsync("");
        await password.PressSequentiallyAsync("velvet orbit tundra pickle", new() { Delay = 20 });
        await Assertions.Expect(verdict).ToHaveTextAsync("Strong enough.");
        await person.ScreenshotAsync("register-password-strength");
    }
}
