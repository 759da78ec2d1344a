using System.Net.WebSockets;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SharedCanvas.IntegrationTests;

/// <summary>
/// A stack as a developer runs it: two realtime replicas and the Aspire dashboard receiving traces and
/// logs. Metrics go to an OTLP/HTTP endpoint the test stands up (the dashboard's API serves no metrics),
/// so that the metrics test reads what the services really exported. Sockets of the slow-reader case
/// hold 64 messages, so that it overflows within seconds.
/// </summary>
public sealed class TelemetryFixture : StackFixture
{
    public OtlpReceiver Metrics { get; private set; } = null!;

    protected override bool EnableDashboard => true;

    public override async Task InitializeAsync()
    {
        Metrics = await OtlpReceiver.StartAsync();
        await base.InitializeAsync();
    }

    protected override void Configure(Aspire.Hosting.Testing.IDistributedApplicationTestingBuilder builder)
    {
        foreach (var resource in new[] { "web", "realtime" })
        {
            SetEnvironment(builder, resource, "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", Metrics.Endpoint + "/v1/metrics");
            SetEnvironment(builder, resource, "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "http/protobuf");
            SetEnvironment(builder, resource, "OTEL_METRIC_EXPORT_INTERVAL", "1000");
        }

        SetEnvironment(builder, "realtime", "Realtime__SendQueueCapacity", "64");
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Metrics.DisposeAsync();
    }
}

/// <summary>
/// One trace per stroke across replicas, read back from the dashboard; metrics read back from what the
/// services exported (docs/observability.md). The quiet-dashboard cases are in TelemetryTests.QuietDashboard.
/// (Somewhat over 300 lines with the fixture, which every case shares.)
/// </summary>
[Collection(IsolatedCollection.Name)]
public sealed partial class TelemetryTests(TelemetryFixture stack, ITestOutputHelper output) : IClassFixture<TelemetryFixture>
{
    [Fact]
    public async Task OneStrokeIsOneTraceFromTheSenderThroughEveryReplica()
    {
        using var ada = await stack.RegisterAsync();
        var boardId = await ada.CreateBoardAsync();
        var (sender, sameReplica, otherReplica, others) = await SocketsOnTwoReplicasAsync(ada, boardId);
        await using var _ = sender;
        await using var __ = sameReplica;
        await using var ___ = otherReplica;
        foreach (var socket in others)
        {
            await socket.DisposeAsync();
        }

        var traceId = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        var browserSpanId = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8));
        var elementId = "traced-" + Guid.NewGuid().ToString("N")[..8];
        var n = await sender.SendOpAsync(Ops.AddPen(elementId, 10, 20), $"00-{traceId}-{browserSpanId}-01");
        var ack = await sender.WaitForAsync(m => BoardSocket.Type(m) == "ack" && (long)m["n"]! == n);
        var seq = (long)ack["seq"]!;
        foreach (var receiver in new[] { sameReplica, otherReplica })
        {
            await receiver.WaitForAsync(m => BoardSocket.Type(m) == "op" && (long)m["seq"]! == seq);
        }

        using var telemetry = await DashboardTelemetry.ConnectAsync(stack.App);
        using var trace = await telemetry.WaitForAsync($"traces/{traceId}",
            d => DashboardTelemetry.Spans(d).Count(s => Name(s.Span).StartsWith("process ", StringComparison.Ordinal)) >= 2
                && DashboardTelemetry.Spans(d).Any(s => Name(s.Span).StartsWith("receive ", StringComparison.Ordinal)));
        var spans = DashboardTelemetry.Spans(trace).ToList();
        foreach (var (span, service, instance) in spans)
        {
            output.WriteLine($"{service} {instance} {Name(span)} {Id(span, "spanId")} parent {Id(span, "parentSpanId")}");
        }

        Assert.All(spans, s => Assert.Equal(traceId, Id(s.Span, "traceId")));
        var senderReplica = (string)sender.Welcome!["server"]!;
        var receiverReplica = (string)otherReplica.Welcome!["server"]!;

        var receive = Single(spans, "receive boards/{id}");
        Assert.Equal(browserSpanId, Id(receive.Span, "parentSpanId"));
        Assert.Equal(senderReplica, receive.Instance);
        Assert.Equal("CONSUMER", Kind(receive.Span));
        Assert.Equal(boardId, DashboardTelemetry.Attribute(receive.Span, "messaging.destination.name"));
        Assert.Equal(elementId, DashboardTelemetry.Attribute(receive.Span, "sharedcanvas.element.id"));
        Assert.Equal(seq.ToString(System.Globalization.CultureInfo.InvariantCulture), DashboardTelemetry.Attribute(receive.Span, "sharedcanvas.seq"));
        // Linked to the socket's upgrade request, never its child.
        Assert.True(receive.Span.TryGetProperty("links", out var links) && links.GetArrayLength() == 1, "the receive span links to its socket");
        Assert.NotEqual(traceId, Id(links[0], "traceId"));

        var authorize = Single(spans, "authorize");
        var append = Single(spans, "append boards/{id}");
        var publish = Single(spans, "publish boards/{id}");
        Assert.Equal(Id(receive.Span, "spanId"), Id(authorize.Span, "parentSpanId"));
        Assert.Equal("owner", DashboardTelemetry.Attribute(authorize.Span, "sharedcanvas.role"));
        Assert.Equal(Id(receive.Span, "spanId"), Id(append.Span, "parentSpanId"));
        Assert.Equal("CLIENT", Kind(append.Span));
        Assert.Equal(Id(append.Span, "spanId"), Id(publish.Span, "parentSpanId"));
        Assert.Equal("PRODUCER", Kind(publish.Span));

        var fanouts = spans.Where(s => Name(s.Span) == "process boards/{id}").ToList();
        Assert.Equal(2, fanouts.Count);
        Assert.All(fanouts, f =>
        {
            Assert.Equal(Id(publish.Span, "spanId"), Id(f.Span, "parentSpanId"));
            Assert.Equal("CONSUMER", Kind(f.Span));
            Assert.Equal(elementId, DashboardTelemetry.Attribute(f.Span, "sharedcanvas.element.id"));
            Assert.Equal(seq.ToString(System.Globalization.CultureInfo.InvariantCulture), DashboardTelemetry.Attribute(f.Span, "sharedcanvas.seq"));
            Assert.Equal("0", DashboardTelemetry.Attribute(f.Span, "sharedcanvas.fanout.drops"));
        });
        var onSender = Assert.Single(fanouts, f => f.Instance == senderReplica);
        var onOther = Assert.Single(fanouts, f => f.Instance == receiverReplica);
        // The sender's replica writes the op to one other socket and the ack to the sender; the other
        // replica writes it to its one socket.
        Assert.Equal("1", DashboardTelemetry.Attribute(onSender.Span, "sharedcanvas.fanout.recipients"));
        Assert.Equal("1", DashboardTelemetry.Attribute(onSender.Span, "sharedcanvas.fanout.acks"));
        Assert.Equal("1", DashboardTelemetry.Attribute(onOther.Span, "sharedcanvas.fanout.recipients"));
        Assert.Equal("0", DashboardTelemetry.Attribute(onOther.Span, "sharedcanvas.fanout.acks"));
    }

    [Fact]
    public async Task ARefusedStrokeIsTracedWithItsReason()
    {
        using var owner = await stack.RegisterAsync();
        using var viewer = await stack.RegisterAsync();
        var boardId = await owner.CreateBoardAsync();
        await owner.ShareWithAsync(boardId, viewer, "viewer");
        await using var socket = await BoardSocket.ConnectAsync(await viewer.GetRealtimeTokenAsync(boardId), stack.WebOrigin);
        await socket.JoinAsync();
        var traceId = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        var n = await socket.SendOpAsync(Ops.AddPen("refused", 1, 1), $"00-{traceId}-{Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8))}-01");
        await socket.WaitForAsync(m => BoardSocket.Type(m) == "error" && (long?)m["n"] == n);

        using var telemetry = await DashboardTelemetry.ConnectAsync(stack.App);
        using var trace = await telemetry.WaitForAsync($"traces/{traceId}", d => DashboardTelemetry.Spans(d).Any(s => Name(s.Span) == "authorize"));
        var spans = DashboardTelemetry.Spans(trace).ToList();
        foreach (var name in new[] { "receive boards/{id}", "authorize" })
        {
            var span = Single(spans, name).Span;
            Assert.Equal(2, span.GetProperty("status").GetProperty("code").GetInt32()); // STATUS_CODE_ERROR
            Assert.Equal("forbidden", DashboardTelemetry.Attribute(span, "sharedcanvas.refusal.reason"));
        }

        Assert.DoesNotContain(spans, s => Name(s.Span).StartsWith("append", StringComparison.Ordinal) || Name(s.Span).StartsWith("process", StringComparison.Ordinal));
    }

    [Fact]
    public async Task MetricsAreExportedAfterADrawingSession()
    {
        using var ada = await stack.RegisterAsync();
        var boardId = await ada.CreateBoardAsync();
        await using var drawer = await BoardSocket.ConnectAsync(await ada.GetRealtimeTokenAsync(boardId), stack.WebOrigin);
        await using var watcher = await BoardSocket.ConnectAsync(await ada.GetRealtimeTokenAsync(boardId), stack.WebOrigin);
        await drawer.JoinAsync();
        await watcher.JoinAsync();

        // A short stroke with cursors, and one malformed operation (refused, not fatal).
        const string Id = "metrics-stroke";
        await drawer.SendOpAsync(Ops.AddPen(Id, 0, 0));
        for (var i = 1; i <= 40; i++)
        {
            await drawer.SendOpAsync(Ops.Points(Id, i, i, i + 1, i + 1));
            await drawer.SendAsync(new JsonObject { ["type"] = "cursor", ["x"] = i, ["y"] = i });
        }

        var last = await drawer.SendOpAsync(Ops.End(Id));
        await drawer.WaitForAsync(m => BoardSocket.Type(m) == "ack" && (long)m["n"]! == last);
        // Refused on arrival, so its error may overtake earlier acks: sent only once those are in.
        await drawer.SendOpAsync(new JsonObject { ["k"] = "points", ["id"] = Id, ["pts"] = "not points" });
        await drawer.WaitForAsync(m => BoardSocket.Type(m) == "error" && (string?)m["code"] == "invalid_op");
        await watcher.WaitForAsync(m => BoardSocket.Type(m) == "op" && (string?)m["op"]!["k"] == "end" && (string?)m["op"]!["id"] == Id);

        // A socket that never reads is closed with 1013 once its queue overflows.
        await OverflowASleepingSocketAsync(ada, boardId, drawer);

        // A failed sign-in on the site.
        using (var api = new ApiClient(stack.WebUrl))
        using (var refused = await api.RequestTokenAsync(ada.UserName, "not the password"))
        {
            Assert.Equal(System.Net.HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        var expected = new (string Service, string Metric, Func<ExportedPoint, bool> Holds)[]
        {
            ("realtime", "sharedcanvas.realtime.connections", p => p.Value >= 2),
            ("realtime", "sharedcanvas.realtime.messages.received", p => p.Attributes.GetValueOrDefault("type") == "op" && p.Value >= 43),
            ("realtime", "sharedcanvas.realtime.messages.received", p => p.Attributes.GetValueOrDefault("type") == "cursor" && p.Value >= 40),
            ("realtime", "sharedcanvas.realtime.messages.broadcast", p => p.Attributes.GetValueOrDefault("type") == "op" && p.Value >= 42),
            ("realtime", "sharedcanvas.realtime.messages.broadcast", p => p.Attributes.GetValueOrDefault("type") == "ack" && p.Value >= 42),
            ("realtime", "sharedcanvas.realtime.messages.broadcast", p => p.Attributes.GetValueOrDefault("type") == "cursors" && p.Value >= 1),
            ("realtime", "sharedcanvas.realtime.ops.appended", p => p.Attributes.GetValueOrDefault("kind") == "points" && p.Value >= 40),
            ("realtime", "sharedcanvas.realtime.fanout.duration", p => p.Count >= 42),
            ("realtime", "sharedcanvas.realtime.refusals", p => p.Attributes.GetValueOrDefault("reason") == "invalid_op" && p.Value >= 1),
            ("realtime", "sharedcanvas.realtime.send_queue.overflows", p => p.Value >= 1),
            ("realtime", "sharedcanvas.realtime.closes", p => p.Attributes.GetValueOrDefault("code") == "1013" && p.Value >= 1),
            ("web", "sharedcanvas.web.tokens.issued", p => p.Attributes.GetValueOrDefault("kind") == "realtime" && p.Value >= 3),
            ("web", "sharedcanvas.web.signin.failures", p => p.Attributes.GetValueOrDefault("surface") == "api" && p.Value >= 1),
            ("web", "sharedcanvas.web.registrations", p => p.Value >= 1),
        };

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var missing = expected.Where(e => !Sum(e.Service, e.Metric, e.Holds)).Select(e => $"{e.Service} {e.Metric}").ToList();
            if (missing.Count == 0)
            {
                break;
            }

            if (DateTime.UtcNow > deadline)
            {
                var seen = stack.Metrics.Points.Select(p => $"{p.Service} {p.Metric}").Distinct().Order();
                Assert.Fail($"Not exported: {string.Join("; ", missing)}. Exported: {string.Join(", ", seen)}");
            }

            await Task.Delay(1000);
        }

        foreach (var metric in expected.Select(e => (e.Service, e.Metric)).Distinct())
        {
            foreach (var point in stack.Metrics.Latest(metric.Service, metric.Metric))
            {
                output.WriteLine($"{point.Service} {point.Metric} {string.Join(",", point.Attributes.Select(a => $"{a.Key}={a.Value}"))} value {point.Value} count {point.Count}");
            }
        }
    }

    /// <summary>
    /// True when the metric's latest exported points, summed over the replicas (one series per
    /// service instance), satisfy the condition for some attribute set.
    /// </summary>
    private bool Sum(string service, string metric, Func<ExportedPoint, bool> holds) =>
        stack.Metrics.Latest(service, metric)
            .GroupBy(OtlpReceiver.SeriesKey)
            .Any(g => holds(g.First() with { Value = g.Sum(p => p.Value), Count = (ulong)g.Sum(p => (double)p.Count) }));

    private async Task OverflowASleepingSocketAsync(SiteClient ada, string boardId, BoardSocket drawer)
    {
        var token = await ada.GetRealtimeTokenAsync(boardId);
        using var sleeper = await BoardSocket.ConnectUnreadAsync(token, stack.WebOrigin);
        await sleeper.SendAsync("""{"type":"hello","client":"sleeper-for-metrics"}"""u8.ToArray(), WebSocketMessageType.Text, true, CancellationToken.None);
        await Task.Delay(500);

        var id = "big-" + Guid.NewGuid().ToString("N")[..8];
        await drawer.SendOpAsync(Ops.AddPen(id, 0, 0));
        var points = string.Join(",", Enumerable.Range(0, 950).Select(i => $"{100000.25 + i},{200000.75 + i % 100},0.5"));
        long n = 0;
        for (var i = 0; i < 600; i++)
        {
            n = await drawer.SendOpAsync(JsonNode.Parse($$"""{"k":"points","id":"{{id}}","pts":[{{points}}]}""")!.AsObject());
        }

        await drawer.WaitForAsync(m => BoardSocket.Type(m) == "ack" && (long)m["n"]! == n, TimeSpan.FromSeconds(60));
        var buffer = new byte[1 << 16];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(45));
        try
        {
            while (sleeper.State == WebSocketState.Open)
            {
                if ((await sleeper.ReceiveAsync(buffer, timeout.Token)).MessageType == WebSocketMessageType.Close)
                {
                    break;
                }
            }
        }
        catch (WebSocketException)
        {
        }

        Assert.Equal((WebSocketCloseStatus)1013, sleeper.CloseStatus);
    }

    /// <summary>
    /// Opens sockets (each with its own token, as separate tabs would) until a sender and a receiver share
    /// one replica and another receiver is on the other. The rest are returned for disposal.
    /// </summary>
    private async Task<(BoardSocket Sender, BoardSocket SameReplica, BoardSocket OtherReplica, List<BoardSocket> Others)> SocketsOnTwoReplicasAsync(SiteClient person, string boardId)
    {
        var byReplica = new Dictionary<string, List<BoardSocket>>();
        for (var attempt = 0; attempt < 20; attempt++)
        {
            var socket = await BoardSocket.ConnectAsync(await person.GetRealtimeTokenAsync(boardId), stack.WebOrigin);
            await socket.JoinAsync();
            var replica = (string)socket.Welcome!["server"]!;
            if (!byReplica.TryGetValue(replica, out var list))
            {
                byReplica[replica] = list = [];
            }

            list.Add(socket);
            var pair = byReplica.Values.FirstOrDefault(l => l.Count >= 2);
            var other = byReplica.FirstOrDefault(kv => kv.Value != pair && kv.Value.Count >= 1).Value;
            if (pair is not null && other is not null)
            {
                var chosen = new[] { pair[0], pair[1], other[0] };
                var rest = byReplica.Values.SelectMany(l => l).Except(chosen).ToList();
                return (pair[0], pair[1], other[0], rest);
            }
        }

        throw new InvalidOperationException($"20 sockets did not spread over two replicas: {string.Join(", ", byReplica.Select(kv => $"{kv.Key}={kv.Value.Count}"))}");
    }

    private static (JsonElement Span, string Service, string Instance) Single(List<(JsonElement Span, string Service, string Instance)> spans, string name) =>
        Assert.Single(spans, s => Name(s.Span) == name);

    private static string Name(JsonElement span) => span.GetProperty("name").GetString()!;

    /// <summary>The span's kind (OTLP JSON writes the enum's number).</summary>
    private static string Kind(JsonElement span) => span.GetProperty("kind").GetInt32() switch
    {
        1 => "INTERNAL",
        2 => "SERVER",
        3 => "CLIENT",
        4 => "PRODUCER",
        5 => "CONSUMER",
        var other => other.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>A trace or span id (OTLP JSON writes lower-case hex), or "" when absent.</summary>
    private static string Id(JsonElement item, string property) =>
        item.TryGetProperty(property, out var id) ? id.GetString() ?? "" : "";
}
