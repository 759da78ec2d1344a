using Microsoft.Playwright;

namespace SharedCanvas.BrowserTests;

/// <summary>
/// An honest connection state (issue 15, item 4): offline and silent sockets say "Offline", unsaved work is
/// counted in strokes, and work drawn offline survives closing the tab and is sent once on the next visit.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class ConnectionStateTests(BrowserStackFixture stack) : BrowserTest(stack)
{
    [Fact]
    public async Task WorkDrawnOfflineSurvivesClosingTheTabAndIsSentOnceOnTheNextVisit()
    {
        var (ada, ben, boardUrl) = await TwoPeopleAsync();
        var context = ben.Page.Context;

        // The browser goes offline: the page says so at once, not a green "Live".
        await context.SetOfflineAsync(true);
        var status = ben.Page.GetByTestId("connection-state");
        await Assertions.Expect(status).ToHaveAttributeAsync("data-state", "offline");
        await Assertions.Expect(status).ToContainTextAsync("Offline");

        // Two strokes drawn offline are two strokes unsaved (not the dozen operations they are made of).
        await ben.DrawAsync((200, 200), (300, 200));
        await ben.DrawAsync((200, 260), (300, 260));
        await Assertions.Expect(ben.Page.GetByTestId("unsaved")).ToHaveTextAsync("2 strokes not yet saved");
        await ben.ScreenshotAsync("offline");

        // They are kept in the browser's database (within 200 ms of being drawn), and the tab is closed.
        await ben.Page.WaitForFunctionAsync("""
            () => new Promise(resolve => {
              const open = indexedDB.open('sharedcanvas', 1);
              open.onsuccess = () => {
                const all = open.result.transaction('sessions').objectStore('sessions').getAll();
                // Everything the page holds unsent, not only the first batches of it.
                all.onsuccess = () => resolve(all.result.some(s => s.pending.length === window.sharedCanvas.connection.unacked.length));
                all.onerror = () => resolve(false);
              };
              open.onerror = () => resolve(false);
            })
            """, null, new() { Timeout = 15_000 });
        await ben.Page.CloseAsync();

        // Online again, the next visit sends them: both people see them, once.
        await context.SetOfflineAsync(false);
        var again = new BoardPage(await context.NewPageAsync());
        await again.OpenAsync(boardUrl);
        await again.WaitUntilLiveAsync();
        await again.WaitForSettledAsync(2);
        await ada.WaitForSettledAsync(2);

        // A reload (or a third visit) sends nothing again, and the board still holds two strokes.
        await again.Page.ReloadAsync();
        await again.WaitUntilLiveAsync();
        await again.WaitForSettledAsync(2);
        await ada.Page.ReloadAsync();
        await ada.WaitUntilLiveAsync();
        await ada.WaitForSettledAsync(2);
        again.AssertNoScriptErrors();
    }

    [Fact]
    public async Task ASocketThatFallsSilentIsShownOfflineAndComesBackLiveWhenItIsHeardAgain()
    {
        var ada = await OnePersonOnANewBoardAsync();
        var status = ada.Page.GetByTestId("connection-state");

        // The network stops delivering without closing the socket: nothing is heard within the keep-alive
        // (shortened here from 25 s to 1.5 s).
        await ada.Page.EvaluateAsync("""
            () => {
              const c = window.sharedCanvas.connection;
              c.keepAlive = { interval: 300, silence: 1500 };
              c.heard = c.receive;
              c.receive = () => {};
            }
            """);
        await Assertions.Expect(status).ToHaveAttributeAsync("data-state", "offline");
        await Assertions.Expect(status).ToContainTextAsync("Offline");

        // Heard again: the page reconnects and is live.
        await ada.Page.EvaluateAsync("() => { const c = window.sharedCanvas.connection; c.receive = c.heard; }");
        await ada.WaitUntilLiveAsync();
        await ada.DrawAsync((200, 200), (300, 200));
        await ada.WaitForSettledAsync(1);
        ada.AssertNoScriptErrors();
    }
}
