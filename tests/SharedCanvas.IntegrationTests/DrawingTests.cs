using System.Text.Json.Nodes;

namespace SharedCanvas.IntegrationTests;

/// <summary>The walking skeleton end to end: accounts through the pages, a board, tokens, two sockets, a stroke. On each database engine.</summary>
public abstract class DrawingScenarios(StackFixture stack)
{
    [Fact]
    public async Task StrokeFromOneClientArrivesCompleteAndInOrderAtTheOtherWithTheServersAuthor()
    {
        // Arrange: two people, registered through the pages; one creates a board, both open it.
        using var ada = await stack.RegisterAsync();
        using var ben = await stack.RegisterAsync();
        var boardId = await ada.CreateBoardAsync();
        await ada.ShareWithAsync(boardId, ben);
        await using var adaSocket = await BoardSocket.ConnectAsync(await ada.GetRealtimeTokenAsync(boardId), stack.WebOrigin);
        await using var benSocket = await BoardSocket.ConnectAsync(await ben.GetRealtimeTokenAsync(boardId), stack.WebOrigin);
        await adaSocket.JoinAsync();
        await benSocket.JoinAsync();

        // Act: a stroke — begin, three point batches, end.
        var id = $"{adaSocket.ClientId}-1";
        var sent = new List<JsonObject>
        {
            Ops.AddPen(id, 10, 10),
            Ops.Points(id, 11, 11, 12, 12),
            Ops.Points(id, 13, 13, 14, 14),
            Ops.Points(id, 15, 15),
            Ops.End(id),
        };
        foreach (var op in sent)
        {
            await adaSocket.SendOpAsync(op);
        }

        // Assert: Ben receives all five, in order, unchanged, with Ada as the author set by the server.
        var received = new List<JsonObject>();
        for (var i = 0; i < sent.Count; i++)
        {
            received.Add(await benSocket.WaitForAsync(m => BoardSocket.Type(m) == "op"));
        }

        Assert.All(received, m => Assert.Equal(adaSocket.UserId, (string?)m["author"]));
        Assert.Equal(sent.Select(o => o.ToJsonString()), received.Select(m => m["op"]!.ToJsonString()));
        var seqs = received.Select(m => (long)m["seq"]!).ToList();
        Assert.Equal(Enumerable.Range((int)seqs[0], sent.Count).Select(s => (long)s), seqs);

        // Ada gets an acknowledgement for each operation, with the same sequence numbers, and no echo.
        var acks = new List<JsonObject>();
        for (var i = 0; i < sent.Count; i++)
        {
            acks.Add(await adaSocket.WaitForAsync(m => BoardSocket.Type(m) == "ack"));
        }

        Assert.Equal(seqs, acks.Select(a => (long)a["seq"]!));
        Assert.Equal([1L, 2, 3, 4, 5], acks.Select(a => (long)a["n"]!));
        Assert.DoesNotContain(adaSocket.Received, m => BoardSocket.Type(m) == "op");
    }

    [Fact]
    public async Task AuthorClaimedByTheClientIsIgnored()
    {
        using var ada = await stack.RegisterAsync();
        var boardId = await ada.CreateBoardAsync();
        await using var writer = await BoardSocket.ConnectAsync(await ada.GetRealtimeTokenAsync(boardId), stack.WebOrigin);
        await using var reader = await BoardSocket.ConnectAsync(await ada.GetRealtimeTokenAsync(boardId), stack.WebOrigin);
        await writer.JoinAsync();
        await reader.JoinAsync();

        await writer.SendAsync(new JsonObject
        {
            ["type"] = "op",
            ["n"] = 1,
            ["author"] = "someone-else",
            ["op"] = Ops.AddPen("x-1", 1, 1),
        });

        var op = await reader.WaitForAsync(m => BoardSocket.Type(m) == "op");
        Assert.Equal(writer.UserId, (string?)op["author"]);
    }

    [Fact]
    public async Task StrokeOnOneBoardNeverReachesTheSocketsOfAnotherBoard()
    {
        using var ada = await stack.RegisterAsync();
        var first = await ada.CreateBoardAsync();
        var second = await ada.CreateBoardAsync();
        await using var onFirst = await BoardSocket.ConnectAsync(await ada.GetRealtimeTokenAsync(first), stack.WebOrigin);
        await using var watcherOnFirst = await BoardSocket.ConnectAsync(await ada.GetRealtimeTokenAsync(first), stack.WebOrigin);
        await using var onSecond = await BoardSocket.ConnectAsync(await ada.GetRealtimeTokenAsync(second), stack.WebOrigin);
        await onFirst.JoinAsync();
        await watcherOnFirst.JoinAsync();
        await onSecond.JoinAsync();

        await onFirst.SendOpAsync(Ops.AddPen("a-1", 5, 5));
        await watcherOnFirst.WaitForAsync(m => BoardSocket.Type(m) == "op");
        // A round trip on the second board's socket after the stroke was delivered on the first board.
        await onSecond.SendAsync(new JsonObject { ["type"] = "ping", ["t"] = 1 });
        await onSecond.WaitForAsync(m => BoardSocket.Type(m) == "pong");

        Assert.DoesNotContain(onSecond.Received, m => BoardSocket.Type(m) == "op");
    }

    [Fact]
    public async Task LateJoinerReceivesEveryOperationAlreadyOnTheBoard()
    {
        using var ada = await stack.RegisterAsync();
        var boardId = await ada.CreateBoardAsync();
        await using (var writer = await BoardSocket.ConnectAsync(await ada.GetRealtimeTokenAsync(boardId), stack.WebOrigin))
        {
            await writer.JoinAsync();
            await writer.SendOpAsync(Ops.AddPen("w-1", 1, 1));
            await writer.SendOpAsync(Ops.Points("w-1", 2, 2));
            await writer.SendOpAsync(Ops.End("w-1"));
            await writer.WaitForAsync(m => BoardSocket.Type(m) == "ack" && (long?)m["n"] == 3);
        }

        await using var late = await BoardSocket.ConnectAsync(await ada.GetRealtimeTokenAsync(boardId), stack.WebOrigin);
        var replayed = await late.JoinAsync();

        Assert.Equal(["add", "points", "end"], replayed.Select(m => (string?)m["op"]!["k"]));
        Assert.Contains(late.Received, m => BoardSocket.Type(m) == "snapshot");
    }
}

[Collection(StackCollection.Name)]
public sealed class DrawingTests(StackFixture stack) : DrawingScenarios(stack);

[Collection(DistributedCollection.Name)]
public sealed class DrawingOnDistributedTopologyTests(DistributedStackFixture stack) : DrawingScenarios(stack);
