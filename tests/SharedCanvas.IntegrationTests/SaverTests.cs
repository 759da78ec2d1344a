using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using StackExchange.Redis;

namespace SharedCanvas.IntegrationTests;

/// <summary>A stack whose saver starts switched off and keeps a short log tail, so saving and trimming can be watched.</summary>
public sealed class SaverFixture : StackFixture
{
    public const int KeepTail = 50;

    /// <summary>Read each time the realtime service starts: flip it and restart the service.</summary>
    public bool SaverEnabled { get; set; }

    protected override void Configure(IDistributedApplicationTestingBuilder builder)
    {
        SetEnvironment(builder, "realtime", "Saver__KeepTail", KeepTail.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var realtime = builder.Resources.OfType<ProjectResource>().Single(r => r.Name == "realtime");
        builder.CreateResourceBuilder(realtime).WithEnvironment(context =>
            context.EnvironmentVariables["Saver__Enabled"] = SaverEnabled ? "true" : "false");
    }
}

[Collection(IsolatedCollection.Name)]
public sealed class SaverTests(SaverFixture stack, ITestOutputHelper output) : IClassFixture<SaverFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task WithTheSaverStoppedTheLogGrowsAndStartedAgainItCatchesUpAndTrims()
    {
        // Arrange: two people draw 400 operations while no saver runs.
        using var ada = await stack.RegisterAsync();
        using var ben = await stack.RegisterAsync();
        var boardId = await ada.CreateBoardAsync();
        await ada.ShareWithAsync(boardId, ben);
        var drawers = new[] { ada, ben }
            .Select(p => new ResilientDrawer(() => p.GetRealtimeTokenAsync(boardId), stack.WebOrigin, TimeSpan.FromMilliseconds(2), draw: false))
            .ToList();
        drawers.ForEach(d => { d.Start(); d.DrawMore(200); });
        await Task.WhenAll(drawers.Select(d => d.FinishAsync(Patience)));
        var head = drawers.Max(d => d.Acknowledged.Values.Max());
        var redis = await ConnectionMultiplexer.ConnectAsync((await stack.App.GetConnectionStringAsync("redis"))!);
        var log = $"sc:{{{boardId}}}:log";

        // Nothing is lost and nothing is trimmed: the whole log is there, and no snapshot exists.
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Equal(head, await redis.GetDatabase().StreamLengthAsync(log));
        Assert.Equal(0, await SnapshotSeqAsync(ada, boardId));

        // Act: the saver is started (the realtime service restarts with it on; the clients reconnect).
        stack.SaverEnabled = true;
        foreach (var instance in stack.InstancesOf("realtime"))
        {
            await stack.RestartAsync(instance);
        }

        // Assert: it catches up (a snapshot at the head) and trims the log to the tail it keeps.
        var deadline = DateTime.UtcNow + Patience;
        while (await SnapshotSeqAsync(ada, boardId) < head)
        {
            Assert.True(DateTime.UtcNow < deadline, "the saver did not catch up");
            await Task.Delay(500);
        }

        var length = await redis.GetDatabase().StreamLengthAsync(log);
        Assert.InRange(length, 1, SaverFixture.KeepTail);

        // A board opened afterwards is the board the clients saw, from the snapshot alone.
        await Task.WhenAll(drawers.Select(d => d.WaitForSeqAsync(head, Patience)));
        await using var late = new ResilientDrawer(() => ada.GetRealtimeTokenAsync(boardId), stack.WebOrigin, TimeSpan.FromMilliseconds(50), draw: false);
        late.Start();
        await late.WaitForSeqAsync(head, Patience);
        var report = BoardAudit.AssertNothingAcknowledgedLost(drawers, late);
        output.WriteLine($"saver: log {head} entries before saving, {length} after; {report}");
        foreach (var drawer in drawers)
        {
            await drawer.DisposeAsync();
        }

        await redis.DisposeAsync();
    }

    private static async Task<long> SnapshotSeqAsync(SiteClient person, string boardId)
    {
        await using var probe = await BoardSocket.ConnectAsync(await person.GetRealtimeTokenAsync(boardId));
        await probe.JoinAsync();
        return (long)probe.Received.First(m => BoardSocket.Type(m) == "snapshot")["seq"]!;
    }
}
