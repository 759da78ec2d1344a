using System.Text.Json.Nodes;

namespace SharedCanvas.IntegrationTests;

/// <summary>Sequence numbers, acknowledgements, resume and late joining (docs/protocol.md §3, §7). On each database engine.</summary>
public abstract class DurabilityScenarios(StackFixture stack, ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task LateJoinerAfterTwoThousandOperationsFromThreeClientsGetsExactlyTheSameElementSet()
    {
        // Arrange: three people draw 1,500 operations, the saver stores a snapshot, they draw 500 more.
        using var owner = await stack.RegisterAsync();
        var boardId = await owner.CreateBoardAsync();
        var people = new[] { owner, await stack.RegisterAsync(), await stack.RegisterAsync() };
        foreach (var other in people.Skip(1))
        {
            await owner.ShareWithAsync(boardId, other);
        }

        var drawers = people.Select(p => new ResilientDrawer(() => p.GetRealtimeTokenAsync(boardId), stack.WebOrigin, TimeSpan.FromMilliseconds(1), draw: false)).ToList();
        foreach (var drawer in drawers)
        {
            drawer.Start();
            drawer.DrawMore(500);
        }

        await Task.WhenAll(drawers.Select(d => d.FinishAsync(Patience)));
        var snapshotSeq = await WaitForSnapshotAsync(owner, boardId, atLeast: 1500);
        foreach (var drawer in drawers)
        {
            drawer.DrawMore(167);
        }

        await Task.WhenAll(drawers.Select(d => d.FinishAsync(Patience)));
        var head = drawers.Max(d => d.Acknowledged.Values.Max());
        await Task.WhenAll(drawers.Select(d => d.WaitForSeqAsync(head, Patience)));

        // Act: a fourth person opens the board.
        await using var late = new ResilientDrawer(() => owner.GetRealtimeTokenAsync(boardId), stack.WebOrigin, TimeSpan.FromMilliseconds(50), draw: false);
        late.Start();
        await late.WaitForSeqAsync(head, Patience);

        // Assert: every acknowledged operation is there, and the late joiner's board is everyone's board.
        Assert.Equal(2001, drawers.Sum(d => d.Acknowledged.Count));
        Assert.Equal(2001, head);
        Assert.All(drawers, d => Assert.Equal(d.BoardJson, late.BoardJson));
        output.WriteLine($"snapshot at {snapshotSeq}, head {head}, elements: {System.Text.Json.JsonDocument.Parse(late.BoardJson).RootElement.GetArrayLength()}");
        foreach (var drawer in drawers)
        {
            await drawer.DisposeAsync();
        }
    }

    [Fact]
    public async Task TheBoardsPastIsKeptAndAnyVersionOfItCanBeShownToAnyoneOnIt()
    {
        // Two people draw: 20 shapes the saver folds (and archives), then 10 more it has not yet.
        var (owner, boardId, token) = await stack.RegisterWithBoardAsync();
        using var _ = owner;
        using var viewer = await stack.RegisterAsync();
        await owner.ShareWithAsync(boardId, viewer, "viewer");
        await using var drawer = await BoardSocket.ConnectAsync(token, stack.WebOrigin);
        await drawer.JoinAsync();
        async Task DrawAsync(int from, int to)
        {
            for (var i = from; i <= to; i++)
            {
                var n = await drawer.SendOpAsync(Ops.AddPen($"e{i}", i * 10, 0));
                await drawer.WaitForAsync(m => BoardSocket.Type(m) == "ack" && (long?)m["n"] == n);
            }
        }

        await DrawAsync(1, 20);
        await WaitForSnapshotAsync(owner, boardId, atLeast: 20);
        await DrawAsync(21, 30);

        // A viewer asks for the timeline and for versions: archived, in the log's tail, and past the head.
        await using var looker = await BoardSocket.ConnectAsync(await viewer.GetRealtimeTokenAsync(boardId), stack.WebOrigin);
        await looker.JoinAsync();
        await looker.SendAsync(new JsonObject { ["type"] = "history" });
        var history = await looker.WaitForAsync(m => BoardSocket.Type(m) == "history");
        Assert.Equal(30, (long)history["head"]!);
        Assert.Equal(0, (long)history["first"]!);
        var moments = history["moments"]!.AsArray();
        Assert.Equal(1, (long)moments[0]!["from"]!);
        Assert.Equal(30, (long)moments[^1]!["to"]!);
        Assert.Equal(30, moments.Sum(m => (int)m!["count"]!));

        foreach (var seq in new long[] { 0, 7, 20, 25, 30 })
        {
            await Task.Delay(150); // within the history's own rate
            await looker.SendAsync(new JsonObject { ["type"] = "version", ["seq"] = seq });
            var version = await looker.WaitForAsync(m => BoardSocket.Type(m) == "version" && (long?)m["seq"] == seq);
            var ids = version["elements"]!.AsArray().Select(e => (string)e!["id"]!).ToList();
            Assert.Equal(Enumerable.Range(1, (int)seq).Select(i => $"e{i}"), ids);
        }

        await Task.Delay(150);
        await looker.SendAsync(new JsonObject { ["type"] = "version", ["seq"] = 31 });
        var refused = await looker.WaitForAsync(m => BoardSocket.Type(m) == "error");
        Assert.Equal("version_unavailable", (string?)refused["code"]);

        // Asked too often, it is refused, not served.
        await looker.SendAsync(new JsonObject { ["type"] = "version", ["seq"] = 3 });
        await looker.SendAsync(new JsonObject { ["type"] = "version", ["seq"] = 4 });
        var limited = await looker.WaitForAsync(m => BoardSocket.Type(m) == "error" && (string?)m["code"] == "rate_limited");
        Assert.Contains("history", (string?)limited["message"]);
    }

    /// <summary>Opens the board until its snapshot (which the saver writes a second or so after drawing) covers <paramref name="atLeast"/>.</summary>
    private static async Task<long> WaitForSnapshotAsync(SiteClient person, string boardId, long atLeast)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            await using var probe = await BoardSocket.ConnectAsync(await person.GetRealtimeTokenAsync(boardId));
            await probe.JoinAsync();
            var snapshot = probe.Received.First(m => BoardSocket.Type(m) == "snapshot");
            var seq = (long)snapshot["seq"]!;
            if (seq >= atLeast)
            {
                return seq;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"The saver stored no snapshot at or after {atLeast} (latest: {seq}).");
            }

            await Task.Delay(500);
        }
    }

    [Fact]
    public async Task ClientDisconnectedWhileOthersDrawReceivesExactlyTheMissedOperationsOnResume()
    {
        using var person = await stack.RegisterAsync();
        var boardId = await person.CreateBoardAsync();
        await using var drawer = await BoardSocket.ConnectAsync(await person.GetRealtimeTokenAsync(boardId), stack.WebOrigin);
        await drawer.JoinAsync();
        var watcher = await BoardSocket.ConnectAsync(await person.GetRealtimeTokenAsync(boardId), stack.WebOrigin);
        await watcher.JoinAsync();
        for (var i = 0; i < 10; i++)
        {
            await drawer.SendOpAsync(Ops.AddPen($"before-{i}", i, i));
        }

        long lastSeen = 0;
        for (var i = 0; i < 10; i++)
        {
            lastSeen = (long)(await watcher.WaitForAsync(m => BoardSocket.Type(m) == "op"))["seq"]!;
        }

        // The watcher drops off; the other client draws 20 more operations.
        await watcher.DisposeAsync();
        var missed = new List<long>();
        for (var i = 0; i < 20; i++)
        {
            var n = await drawer.SendOpAsync(Ops.AddPen($"during-{i}", i, i));
            missed.Add((long)(await drawer.WaitForAsync(m => BoardSocket.Type(m) == "ack" && (long)m["n"]! == n))["seq"]!);
        }

        // It comes back with the last sequence number it applied.
        await using var resumed = await BoardSocket.ConnectAsync(await person.GetRealtimeTokenAsync(boardId), stack.WebOrigin, watcher.ClientId);
        var replayed = await resumed.JoinAsync(since: lastSeen);

        Assert.Equal(missed, replayed.Select(m => (long)m["seq"]!));
        Assert.Equal(Enumerable.Range(0, 20).Select(i => $"during-{i}"), replayed.Select(m => (string?)m["op"]!["el"]!["id"]));
        Assert.DoesNotContain(resumed.Received, m => BoardSocket.Type(m) == "snapshot");
        Assert.Equal(missed[^1], (long)resumed.Received.Single(m => BoardSocket.Type(m) == "synced")["seq"]!);
    }

    [Fact]
    public async Task AReplayReachesABatchingClientInArraysAndAnOlderClientOneMessageAFrame()
    {
        using var person = await stack.RegisterAsync();
        var boardId = await person.CreateBoardAsync();
        await using (var drawer = await BoardSocket.ConnectAsync(await person.GetRealtimeTokenAsync(boardId), stack.WebOrigin))
        {
            await drawer.JoinAsync();
            long last = 0;
            for (var i = 0; i < 300; i++)
            {
                last = await drawer.SendOpAsync(Ops.AddPen($"e-{i}", i, i));
            }

            await drawer.WaitForAsync(m => BoardSocket.Type(m) == "ack" && (long)m["n"]! == last);
        }

        // Both replay the same 300 operations from the start of the log, in order.
        await using var batching = await BoardSocket.ConnectAsync(await person.GetRealtimeTokenAsync(boardId), stack.WebOrigin);
        var batched = await batching.JoinAsync(since: 0);
        await using var older = await BoardSocket.ConnectAsync(await person.GetRealtimeTokenAsync(boardId), stack.WebOrigin);
        var unbatched = await older.JoinAsync(since: 0, batch: false);

        var expected = Enumerable.Range(0, 300).Select(i => $"e-{i}").ToList();
        Assert.Equal(expected, batched.Select(m => (string?)m["op"]!["el"]!["id"]));
        Assert.Equal(expected, unbatched.Select(m => (string?)m["op"]!["el"]!["id"]));
        Assert.Equal(Enumerable.Range(1, 300).Select(i => (long)i), batched.Select(m => (long)m["seq"]!));

        // The replay is queued faster than a socket sends, so the batching client gets far fewer frames
        // than messages; the client that did not ask for batches gets exactly one message per frame.
        output.WriteLine($"batching client: {batching.Received.Count} messages in {batching.Frames} frames ({batching.ArrayFrames} arrays)");
        Assert.True(batching.ArrayFrames > 0);
        Assert.True(batching.Frames < batching.Received.Count / 2, $"{batching.Frames} frames for {batching.Received.Count} messages");
        Assert.Equal(0, older.ArrayFrames);
        Assert.Equal(older.Received.Count, older.Frames);
    }

    [Fact]
    public async Task SameOperationSentThreeTimesIsAppliedOnceAndAcknowledgedEachTime()
    {
        using var person = await stack.RegisterAsync();
        var boardId = await person.CreateBoardAsync();
        var writer = await BoardSocket.ConnectAsync(await person.GetRealtimeTokenAsync(boardId), stack.WebOrigin);
        await using var watcher = await BoardSocket.ConnectAsync(await person.GetRealtimeTokenAsync(boardId), stack.WebOrigin);
        await writer.JoinAsync();
        await watcher.JoinAsync();
        var op = Ops.AddPen("once", 1, 1);

        // Twice on one socket, once more after reconnecting under the same client id.
        await writer.SendOpAsync(1, op);
        await writer.SendOpAsync(1, op);
        var first = await writer.WaitForAsync(m => BoardSocket.Type(m) == "ack");
        var second = await writer.WaitForAsync(m => BoardSocket.Type(m) == "ack");
        await writer.DisposeAsync();
        await using var again = await BoardSocket.ConnectAsync(await person.GetRealtimeTokenAsync(boardId), stack.WebOrigin, writer.ClientId);
        await again.JoinAsync(since: (long)first["seq"]!);
        await again.SendOpAsync(1, op);
        var third = await again.WaitForAsync(m => BoardSocket.Type(m) == "ack");
        await watcher.SendAsync(new JsonObject { ["type"] = "ping", ["t"] = 1 });
        await watcher.WaitForAsync(m => BoardSocket.Type(m) == "pong");

        // Applied once: one operation in the log, seen once by the other client.
        Assert.Single(watcher.Received, m => BoardSocket.Type(m) == "op");
        Assert.Null(first["dup"]);
        Assert.True((bool)second["dup"]!);
        Assert.True((bool)third["dup"]!);
        Assert.All(new[] { second, third }, ack => Assert.Equal((long)first["seq"]!, (long)ack["seq"]!));
        await using var late = await BoardSocket.ConnectAsync(await person.GetRealtimeTokenAsync(boardId), stack.WebOrigin);
        Assert.Single(await late.JoinAsync());
    }
}

[Collection(StackCollection.Name)]
public sealed class DurabilityTests(StackFixture stack, ITestOutputHelper output) : DurabilityScenarios(stack, output);

[Collection(DistributedCollection.Name)]
public sealed class DurabilityOnDistributedTopologyTests(DistributedStackFixture stack, ITestOutputHelper output) : DurabilityScenarios(stack, output);
