using System.Text.Json;
using Microsoft.Playwright;

namespace SharedCanvas.BrowserTests;

/// <summary>Who is here, by name, and following someone's view (issue 15, item 9).</summary>
[Collection(BrowserCollection.Name)]
public sealed class PresenceInBrowserTests(BrowserStackFixture stack) : BrowserTest(stack)
{
    private static async Task<JsonElement> ViewAsync(BoardPage page) =>
        await page.Page.EvaluateAsync<JsonElement>("() => { const v = window.sharedCanvas.viewport; return { x: v.x, y: v.y, s: v.scale }; }");

    /// <summary>Waits until Ada's view is Ben's (both pages have the same canvas size).</summary>
    private static async Task WaitForSameViewAsync(BoardPage follower, BoardPage followed)
    {
        var view = await ViewAsync(followed);
        await follower.WaitForAsync(
            $"() => {{ const v = window.sharedCanvas.viewport; return Math.abs(v.x - {view.GetProperty("x").GetDouble()}) < 1 && Math.abs(v.y - {view.GetProperty("y").GetDouble()}) < 1 && Math.abs(v.scale - {view.GetProperty("s").GetDouble()}) < 0.01; }}");
    }

    [Fact]
    public async Task NamesTellPeopleWithOneInitialApartAndFollowingSomeoneMovesYourViewWithTheirsUntilEsc()
    {
        var (ada, ben, _) = await TwoPeopleAsync();
        var adaName = await ada.Page.GetByTestId("signed-in-user").InnerTextAsync();
        var benName = await ben.Page.GetByTestId("signed-in-user").InnerTextAsync();
        Assert.Equal(adaName[0], benName[0]); // one initial: only names tell them apart

        // Each person is listed by name, not only by a letter.
        var people = ada.Page.GetByTestId("presence");
        await Assertions.Expect(people.GetByText(benName, new() { Exact = true })).ToBeVisibleAsync();
        await Assertions.Expect(people.GetByText($"{adaName} (you)", new() { Exact = true })).ToBeVisibleAsync();

        // Ada follows Ben; Ben scrolls and zooms in, and Ada's view travels with his.
        var follow = ada.Page.GetByRole(AriaRole.Button, new() { Name = $"Follow {benName}" });
        await follow.ClickAsync();
        await Assertions.Expect(ada.Page.GetByTestId("following")).ToContainTextAsync($"Following {benName}");
        await Assertions.Expect(follow).ToHaveAttributeAsync("aria-pressed", "true");
        var box = (await ben.Canvas.BoundingBoxAsync())!;
        await ben.Page.Mouse.MoveAsync(box.X + 300, box.Y + 200);
        await ben.Page.Mouse.WheelAsync(0, 400);
        await ben.Page.Keyboard.DownAsync("Control");
        await ben.Page.Mouse.WheelAsync(0, -100);
        await ben.Page.Mouse.WheelAsync(0, -100);
        await ben.Page.Keyboard.UpAsync("Control");
        await WaitForSameViewAsync(ada, ben);
        Assert.True((await ViewAsync(ada)).GetProperty("s").GetDouble() > 1.1);
        await ada.ScreenshotAsync("following");

        // What Ben draws in the middle of his screen is in the middle of Ada's.
        await ben.DrawAsync((560, 400), (640, 400));
        await ada.WaitForSettledAsync(1);
        await ada.NextFramesAsync();
        Assert.True(await ada.InkAroundAsync(600, 400) > 0, "Ben's stroke is not where his view put it on Ada's screen");

        // Esc stops following: Ben moves on, Ada's view stays.
        await ada.Page.Keyboard.PressAsync("Escape");
        await Assertions.Expect(ada.Page.GetByTestId("following")).ToBeHiddenAsync();
        var stayed = await ViewAsync(ada);
        await ben.Page.Mouse.WheelAsync(0, 500);
        await ben.WaitForAsync($"() => window.sharedCanvas.viewport.y > {stayed.GetProperty("y").GetDouble() + 100}");
        await ada.Page.WaitForTimeoutAsync(300);
        Assert.Equal(stayed.GetProperty("y").GetDouble(), (await ViewAsync(ada)).GetProperty("y").GetDouble());
        ada.AssertNoScriptErrors();
        ben.AssertNoScriptErrors();
    }
}
