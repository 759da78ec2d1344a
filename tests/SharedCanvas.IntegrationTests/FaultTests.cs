namespace SharedCanvas.IntegrationTests;

/// <summary>
/// Three people drawing continuously through a fault, then an audit: every acknowledged operation is on the
/// board, the clients resent what was unacknowledged, and all clients hold the same board.
/// </summary>
public abstract class FaultScenarios(StackFixture stack, ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan DrawInterval = TimeSpan.FromMilliseconds(15);

    /// <summary>Three people drawing continuously on one board; tokens are fetched from whichever site is up.</summary>
    protected async Task<(List<ResilientDrawer> Drawers, Func<Task<RealtimeToken>> Token, string BoardId)> StartDrawingAsync()
    {
        var names = new[] { Names.NewUserName(), Names.NewUserName(), Names.NewUserName() };
        using (var owner = await SiteClient.RegisterAsync(stack.WebUrl, names[0], Names.Password))
        {
            var boardId = await owner.CreateBoardAsync();
            foreach (var name in names.Skip(1))
            {
                using var other = await SiteClient.RegisterAsync(stack.WebUrl, name, Names.Password);
                await owner.ShareWithAsync(boardId, other);
            }

            var drawers = names.Select(name => new ResilientDrawer(TokenSource(name, boardId), () => stack.WebOrigin, DrawInterval)).ToList();
            drawers.ForEach(d => d.Start());
            await Task.Delay(TimeSpan.FromSeconds(2));
            return (drawers, TokenSource(names[0], boardId), boardId);
        }
    }

    /// <summary>Signs in again whenever the site's address changed (a restarted stack has new ports).</summary>
    private Func<Task<RealtimeToken>> TokenSource(string userName, string boardId)
    {
        SiteClient? client = null;
        return async () =>
        {
            if (client is null || client.Site != stack.WebUrl)
            {
                client?.Dispose();
                client = await SiteClient.SignInAsync(stack.WebUrl, userName, Names.Password);
            }

            return await client.GetRealtimeTokenAsync(boardId);
        };
    }

    /// <summary>Draws on after the fault, stops, and audits; returns the board's head sequence number.</summary>
    protected async Task<long> FinishAndAuditAsync(List<ResilientDrawer> drawers, Func<Task<RealtimeToken>> token, string fault, bool socketsDrop = false)
    {
        // Draw on for a while after recovery, then stop and let everything be acknowledged.
        var acknowledgedAtRecovery = drawers.Sum(d => d.Acknowledged.Count);
        await Task.Delay(TimeSpan.FromSeconds(2));
        await Task.WhenAll(drawers.Select(d => d.FinishAsync(Patience)));
        var head = drawers.Max(d => d.Acknowledged.Values.DefaultIfEmpty().Max());
        await Task.WhenAll(drawers.Select(d => d.WaitForSeqAsync(head, Patience)));

        await using var late = new ResilientDrawer(token, () => stack.WebOrigin, DrawInterval, draw: false);
        late.Start();
        await late.WaitForSeqAsync(head, Patience);

        var report = BoardAudit.AssertNothingAcknowledgedLost(drawers, late);
        output.WriteLine($"{fault}: {report}");
        Console.WriteLine($"[fault report] {fault}: {report}");
        // The fault really happened under the drawing: where it drops the sockets every drawer reconnected
        // (and resent whatever was in flight, which may be nothing), and everyone drew on after it.
        // (Nothing need be resent after a Redis kill: the realtime service's Redis client holds commands
        // while it reconnects, so operations in flight are appended once Redis is back.)
        Assert.True(drawers.Sum(d => d.Acknowledged.Count) > acknowledgedAtRecovery, "nothing was acknowledged after the fault");
        if (socketsDrop)
        {
            Assert.All(drawers, d => Assert.True(d.Connections >= 2, $"{d.ClientId} never reconnected: the fault did not reach it"));
        }
        foreach (var drawer in drawers)
        {
            await drawer.DisposeAsync();
        }

        return head;
    }
}

/// <summary>
/// Crashes while people draw: kill -9 of the realtime service, of redis-server (restarted on the same
/// data), of the site, and a full restart of the stack.
/// </summary>
[Collection(IsolatedCollection.Name)]
public sealed class FaultTests(StackFixture stack, ITestOutputHelper output) : FaultScenarios(stack, output), IClassFixture<StackFixture>
{
    private readonly StackFixture _stack = stack;


    [Fact]
    public async Task KillingTheRealtimeServiceLosesNoAcknowledgedOperation()
    {
        var (drawers, token, _) = await StartDrawingAsync();

        foreach (var instance in _stack.InstancesOf("realtime"))
        {
            await _stack.KillAsync(instance);
        }

        await Task.Delay(TimeSpan.FromSeconds(1));
        foreach (var instance in _stack.InstancesOf("realtime"))
        {
            await _stack.StartAgainAsync(instance);
        }

        await FinishAndAuditAsync(drawers, token, "kill -9 realtime", socketsDrop: true);
    }

    [Fact]
    public async Task KillingRedisLosesNoAcknowledgedOperation()
    {
        var (drawers, token, _) = await StartDrawingAsync();

        var redis = _stack.InstancesOf("redis").Single();
        await _stack.KillAsync(redis);
        await Task.Delay(TimeSpan.FromSeconds(1));
        await _stack.StartAgainAsync(redis);

        await FinishAndAuditAsync(drawers, token, "kill -9 redis-server");
    }

    [Fact]
    public async Task KillingTheSiteLosesNoAcknowledgedOperation()
    {
        var (drawers, token, _) = await StartDrawingAsync();

        var web = _stack.InstancesOf("web").Single();
        await _stack.KillAsync(web);
        // Open sockets keep drawing: the realtime service needs the site only for new tokens.
        var before = drawers.Sum(d => d.Acknowledged.Count);
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.True(drawers.Sum(d => d.Acknowledged.Count) > before, "drawing stopped while the site was down");
        await _stack.StartAgainAsync(web);

        await FinishAndAuditAsync(drawers, token, "kill -9 web");
    }

    [Fact]
    public async Task RestartingTheWholeStackLosesNoAcknowledgedOperation()
    {
        var (drawers, token, _) = await StartDrawingAsync();

        await _stack.RestartStackAsync();

        await FinishAndAuditAsync(drawers, token, "full stack restart", socketsDrop: true);
    }
}
