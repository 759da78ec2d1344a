using System.Text.Json.Nodes;

namespace SharedCanvas.IntegrationTests;

/// <summary>Who is on the board, and live cursors (docs/protocol.md §4.5–4.6).</summary>
[Collection(StackCollection.Name)]
public sealed class PresenceTests(StackFixture stack)
{
    [Fact]
    public async Task PeopleAppearWhenTheyJoinAndDisappearWhenTheyLeave()
    {
        using var ada = await stack.RegisterAsync();
        using var ben = await stack.RegisterAsync();
        var boardId = await ada.CreateBoardAsync();
        await ada.ShareWithAsync(boardId, ben, "viewer");
        await using var adaSocket = await BoardSocket.ConnectAsync(await ada.GetRealtimeTokenAsync(boardId), stack.WebOrigin);
        await adaSocket.JoinAsync();
        var alone = await adaSocket.WaitForAsync(m => BoardSocket.Type(m) == "presence");
        Assert.Equal([ada.UserName], alone["users"]!.AsArray().Select(u => (string?)u!["name"]));

        var benSocket = await BoardSocket.ConnectAsync(await ben.GetRealtimeTokenAsync(boardId), stack.WebOrigin);
        await benSocket.JoinAsync();
        var both = await benSocket.WaitForAsync(m => BoardSocket.Type(m) == "presence");
        var joined = await adaSocket.WaitForAsync(m => BoardSocket.Type(m) == "presence.join" && (string?)m["user"]!["name"] == ben.UserName);

        Assert.Equal(new[] { ada.UserName, ben.UserName }.Order(), both["users"]!.AsArray().Select(u => (string)u!["name"]!).Order());
        Assert.Equal("viewer", (string?)joined["user"]!["role"]);
        var benConnection = (string)joined["user"]!["conn"]!;

        await benSocket.DisposeAsync();
        await adaSocket.WaitForAsync(m => BoardSocket.Type(m) == "presence.leave" && (string?)m["conn"] == benConnection);
    }

    [Fact]
    public async Task CursorsReachTheOthersCoalescedAndSayWhenThePointerLeaves()
    {
        using var ada = await stack.RegisterAsync();
        var boardId = await ada.CreateBoardAsync();
        await using var mover = await BoardSocket.ConnectAsync(await ada.GetRealtimeTokenAsync(boardId), stack.WebOrigin);
        await using var watcher = await BoardSocket.ConnectAsync(await ada.GetRealtimeTokenAsync(boardId), stack.WebOrigin);
        await mover.JoinAsync();
        await watcher.JoinAsync();
        var moverConnection = (string)mover.Welcome!["me"]!["conn"]!;

        for (var i = 0; i < 100; i++)
        {
            await mover.SendAsync(new JsonObject { ["type"] = "cursor", ["x"] = i, ["y"] = 2 * i });
        }

        var last = await watcher.WaitForAsync(m => BoardSocket.Type(m) == "cursors"
            && m["c"]!.AsArray().Any(c => (string?)c!["conn"] == moverConnection && (double?)c["x"] == 99));
        Assert.Equal(198, (double)last["c"]!.AsArray().Single(c => (string?)c!["conn"] == moverConnection)!["y"]!);
        var batches = watcher.Received.Count(m => BoardSocket.Type(m) == "cursors");
        Assert.True(batches < 100, $"{batches} cursor messages for 100 moves: not coalesced");

        await mover.SendAsync(new JsonObject { ["type"] = "cursor", ["x"] = null, ["y"] = null });
        await watcher.WaitForAsync(m => BoardSocket.Type(m) == "cursors"
            && m["c"]!.AsArray().Any(c => (string?)c!["conn"] == moverConnection && c["x"] is null));
    }
}
