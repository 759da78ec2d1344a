using System.Text.Json;
using Microsoft.Playwright;

namespace SharedCanvas.BrowserTests;

/// <summary>
/// The board page's layout on a phone and on a desktop (issue 15, item 5): nothing covers anything else,
/// even with a long connection status; one header line; a readable board name; the style panel on demand;
/// the Export menu on top.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class LayoutTests(BrowserStackFixture stack) : BrowserTest(stack)
{
    /// <summary>Pairs of the page's fixed parts whose boxes intersect (only those on screen).</summary>
    private static Task<string[]> OverlapsAsync(IPage page) =>
        page.EvaluateAsync<string[]>("""
            () => {
              const parts = ['.site-header', '.board-bar.top-left', '.board-bar.top-right', '.board-bar.people-bar', '.toolbar', '.style-panel', '.zoom']
                .map(selector => [selector, document.querySelector(selector)])
                .filter(([, el]) => el && el.offsetParent !== null && el.getBoundingClientRect().width > 0 && getComputedStyle(el).display !== 'none')
                .map(([selector, el]) => [selector, el.getBoundingClientRect()]);
              const overlaps = [];
              for (let i = 0; i < parts.length; i++)
                for (let j = i + 1; j < parts.length; j++) {
                  const [a, ra] = parts[i], [b, rb] = parts[j];
                  if (ra.left < rb.right - 1 && rb.left < ra.right - 1 && ra.top < rb.bottom - 1 && rb.top < ra.bottom - 1)
                    overlaps.push(`${a} × ${b}`);
                }
              return overlaps;
            }
            """);

    [Theory]
    [InlineData(390, 844, "phone")]
    [InlineData(1280, 800, "desktop")]
    public async Task NothingOnTheBoardPageCoversAnythingElseEvenWithALongStatus(int width, int height, string name)
    {
        var ada = new BoardPage(await Stack.NewPersonAsync());
        await ada.Page.SetViewportSizeAsync(width, height);
        await ada.RegisterAsync(Names.NewUserName(), Names.Password);
        await ada.CreateBoardAsync("Sprint planning, week 12");
        await ada.WaitUntilLiveAsync();
        var phone = width < 700;

        // One header line, and the board's name readable, not cut to a few letters.
        Assert.True(await ada.Page.Locator(".site-header").EvaluateAsync<double>("h => h.getBoundingClientRect().height") < 48, "the header wraps");
        var nameWidth = await ada.Page.Locator(".board-name").EvaluateAsync<double>("n => n.getBoundingClientRect().width");
        Assert.True(nameWidth >= 100, $"the board name is {nameWidth} px wide");

        // On a phone the style panel stays out of the way until asked for, and goes when drawing starts.
        var panel = ada.Page.GetByTestId("style-panel");
        if (phone)
        {
            await Assertions.Expect(panel).ToBeHiddenAsync();
            var toggle = ada.Page.GetByTestId("style-toggle");
            await toggle.ClickAsync();
            await Assertions.Expect(panel).ToBeVisibleAsync();
            await Assertions.Expect(toggle).ToHaveAttributeAsync("aria-expanded", "true");
            await ada.Page.GetByRole(AriaRole.Button, new() { Name = "Red", Exact = true }).ClickAsync();
            Assert.Empty(await OverlapsAsync(ada.Page));
            await ada.DrawAsync((150, 420), (250, 420));
            await Assertions.Expect(panel).ToBeHiddenAsync();
            Assert.Equal("#e03131", (await ada.PlainElementsAsync())[0].GetProperty("color").GetString());
        }
        else
        {
            await Assertions.Expect(panel).ToBeVisibleAsync();
            await Assertions.Expect(ada.Page.GetByTestId("style-toggle")).ToBeHiddenAsync();
        }

        // A long status: a dozen strokes that have not reached the server.
        await ada.Page.EvaluateAsync("() => { window.sharedCanvas.connection.transmit = () => {}; }");
        for (var i = 0; i < 12; i++)
        {
            await ada.DrawAsync((150, 300 + (i * 12)), (230, 300 + (i * 12)));
        }

        await Assertions.Expect(ada.Page.GetByTestId("unsaved")).ToHaveTextAsync("12 strokes not yet saved");
        var overlaps = await OverlapsAsync(ada.Page);
        Assert.True(overlaps.Length == 0, string.Join(", ", overlaps));

        // The Export menu opens on top of everything (it opened under the zoom bar on a phone).
        await ada.Page.GetByText("Export", new() { Exact = true }).ClickAsync();
        var covered = await ada.Page.EvaluateAsync<string[]>("""
            () => [...document.querySelectorAll('.menu-items button')].filter(b => {
              const r = b.getBoundingClientRect();
              return !b.contains(document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2));
            }).map(b => b.textContent)
            """);
        Assert.Empty(covered);
        await ada.ScreenshotAsync($"layout-{name}");
        ada.AssertNoScriptErrors();
    }
}
