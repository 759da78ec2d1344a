namespace SharedCanvas.BrowserTests;

/// <summary>A browser test: the people it opened are closed when it ends, so tests never see each other's pages.</summary>
public abstract class BrowserTest(BrowserStackFixture stack) : IAsyncLifetime
{
    protected BrowserStackFixture Stack { get; } = stack;

    public Task InitializeAsync() => Task.CompletedTask;

    /// <summary>Ada (owner) and Ben (in <paramref name="benRole"/>, through a share link) on a new board, both live.</summary>
    protected async Task<(BoardPage Ada, BoardPage Ben, string BoardUrl)> TwoPeopleAsync(string benRole = "editor")
    {
        var ada = new BoardPage(await Stack.NewPersonAsync());
        var ben = new BoardPage(await Stack.NewPersonAsync());
        await ada.RegisterAsync(Names.NewUserName(), Names.Password);
        await ben.RegisterAsync(Names.NewUserName(), Names.Password);
        var boardUrl = await ada.CreateBoardAsync(Names.NewBoardName());
        await ben.JoinAsync(await ada.CreateShareLinkAsync(boardUrl, benRole));
        await ada.WaitUntilLiveAsync();
        await ben.WaitUntilLiveAsync();
        return (ada, ben, boardUrl);
    }

    /// <summary>Ada, signed up, on a new board of her own, live.</summary>
    protected async Task<BoardPage> OnePersonOnANewBoardAsync()
    {
        var ada = new BoardPage(await Stack.NewPersonAsync());
        await ada.RegisterAsync(Names.NewUserName(), Names.Password);
        await ada.CreateBoardAsync(Names.NewBoardName());
        await ada.WaitUntilLiveAsync();
        return ada;
    }

    public Task DisposeAsync() => Stack.ClosePeopleAsync();
}
