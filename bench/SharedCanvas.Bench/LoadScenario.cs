using System.Diagnostics;
using System.Globalization;
using HdrHistogram;
using SharedCanvas.Testing;

namespace SharedCanvas.Bench;

/// <summary>The shape of a load run: a preset, changed by command-line options.</summary>
internal sealed record LoadOptions
{
    public required string Name { get; init; }
    public int Clients { get; init; }
    public int Boards { get; init; }
    /// <summary>Drawing clients per board (the rest only watch and move their cursors).</summary>
    public int DrawersPerBoard { get; init; }
    public double BatchesPerSecond { get; init; } = 30;
    public int PointsPerBatch { get; init; } = 4;
    public double CursorHz { get; init; }
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(60);
    /// <summary>Load before measuring: long enough for the services' tiered JIT to settle (it took a fifth of the CPU in the first 30 s).</summary>
    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(20);
    public int SocketsPerUser { get; init; } = 20;
    /// <summary>Realtime replicas of a stack the benchmark starts (a running stack has its own).</summary>
    public int Replicas { get; init; } = 2;
    /// <summary>Idle: send an application ping on every socket during the run and time its pong.</summary>
    public bool Ping { get; init; }
    /// <summary>Connect through the realtime URL the site hands out (Aspire's proxy locally) instead of to each replica's own port.</summary>
    public bool ViaProxy { get; init; }
    /// <summary>Say <c>batch</c> in hello: accept several messages in one frame (protocol §2), as the board page does.</summary>
    public bool Batch { get; init; } = true;
    public string Target { get; init; } = "";

    /// <summary>CPUs the realtime replicas may run on (<c>taskset</c>'s list, e.g. <c>0</c>); empty: all.</summary>
    public string RealtimeCpus { get; init; } = "";

    public static LoadOptions? Preset(string name) => name switch
    {
        "unloaded" => new() { Name = name, Clients = 2, Boards = 1, DrawersPerBoard = 1, Duration = TimeSpan.FromSeconds(30), Target = "p50 ≤ 2 ms, p99 ≤ 5 ms" },
        "classroom-grid" => new() { Name = name, Clients = 1000, Boards = 50, DrawersPerBoard = 2, CursorHz = 20, Target = "p99 ≤ 50 ms, nothing lost" },
        "big-room" => new() { Name = name, Clients = 200, Boards = 1, DrawersPerBoard = 20, CursorHz = 20, Duration = TimeSpan.FromSeconds(30), Target = "report p99, deliveries/s" },
        "idle" => new() { Name = name, Clients = 10_000, Boards = 500, DrawersPerBoard = 0, Replicas = 1, Ping = true, Duration = TimeSpan.FromSeconds(30), Warmup = TimeSpan.FromSeconds(2), Target = "≤ 16 KB RSS per connection" },
        "smoke" => new() { Name = name, Clients = 20, Boards = 2, DrawersPerBoard = 2, CursorHz = 20, Duration = TimeSpan.FromSeconds(3), Warmup = TimeSpan.FromSeconds(1), Ping = true, Target = "runs; nothing lost" },
        _ => null,
    };

    public LoadOptions With(string option, string value) => option switch
    {
        "--clients" => this with { Clients = Int(value) },
        "--boards" => this with { Boards = Int(value) },
        "--drawers-per-board" => this with { DrawersPerBoard = Int(value) },
        "--rate" => this with { BatchesPerSecond = double.Parse(value, CultureInfo.InvariantCulture) },
        "--points" => this with { PointsPerBatch = Int(value) },
        "--cursor-hz" => this with { CursorHz = double.Parse(value, CultureInfo.InvariantCulture) },
        "--duration" => this with { Duration = TimeSpan.FromSeconds(Int(value)) },
        "--warmup" => this with { Warmup = TimeSpan.FromSeconds(Int(value)) },
        "--sockets-per-user" => this with { SocketsPerUser = Int(value) },
        "--replicas" => this with { Replicas = Int(value) },
        "--via-proxy" => this with { ViaProxy = value == "true" },
        "--batch" => this with { Batch = value != "false" },
        "--realtime-cpus" => this with { RealtimeCpus = value },
        _ => throw new ArgumentException($"unknown option {option}"),
    };

    private static int Int(string value) => int.Parse(value, CultureInfo.InvariantCulture);
}

/// <summary>The outcome of a load run: one row of the table.</summary>
internal sealed record LoadResult(
    LoadOptions Options,
    int Connections,
    double MessagesInPerSecond,
    double DeliveriesPerSecond,
    double CursorMessagesOutPerSecond,
    HistogramBase Latency,
    HistogramBase Ack,
    long Delivered,
    long Lost,
    long Unacknowledged,
    long Errors,
    long Closes,
    long SequenceGaps,
    double RealtimeCpu,
    double RedisCpu,
    double GeneratorCpu,
    double RssPerConnectionKb,
    long RealtimeRssMb,
    long Pongs,
    string? FirstError)
{
    public static void PrintHeader(TextWriter? to = null)
    {
        to ??= Console.Out;
        to.WriteLine("| scenario | conns | msgs in/s | deliveries/s | p50 ms | p95 ms | p99 ms | max ms | lost | unacked / errors / closes | ack p99 ms | realtime CPU % | redis CPU % | generator CPU % | RSS/conn KB | target |");
        to.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    }

    public void Print(TextWriter? to = null) => (to ?? Console.Out).WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"| {Options.Name} | {Connections:N0} | {MessagesInPerSecond:N0} | {DeliveriesPerSecond:N0} | {Ms(Latency, 50)} | {Ms(Latency, 95)} | {Ms(Latency, 99)} | {Max(Latency)} | {Lost:N0} | {Unacknowledged} / {Errors} / {Closes} | {Ms(Ack, 99)} | {RealtimeCpu:F0} | {RedisCpu:F0} | {GeneratorCpu:F0} | {RssPerConnectionKb:F1} | {Options.Target} |"));

    private static string Ms(HistogramBase histogram, double percentile) =>
        histogram.TotalCount == 0 ? "–" : (histogram.GetValueAtPercentile(percentile) / 1000.0).ToString("F2", CultureInfo.InvariantCulture);

    private static string Max(HistogramBase histogram) =>
        histogram.TotalCount == 0 ? "–" : (histogram.GetMaxValue() / 1000.0).ToString("F1", CultureInfo.InvariantCulture);
}

/// <summary>
/// N board sockets across B boards, some drawing pen strokes at R batches a second of P points and
/// everyone moving a cursor, measured for the latency of every delivery (sender's send to each
/// receiver's receive), throughput, loss and the CPU and memory of the stack's processes.
/// </summary>
internal static class LoadScenario
{
    public static async Task<LoadResult> RunAsync(BenchStack stack, LoadOptions options, TextWriter log)
    {
        var recorder = new LoadRecorder();
        var perBoard = (int)Math.Ceiling(options.Clients / (double)options.Boards);
        log.WriteLine($"{options.Name}: creating {options.Boards} boards and their users…");
        var tokens = await CreateBoardsAsync(stack, options, perBoard);

        var sampler = stack.FindProcesses();
        var realtimeUrls = options.ViaProxy ? [] : stack.RealtimeUrls(sampler);
        if (options.RealtimeCpus.Length > 0)
        {
            foreach (var pid in sampler.Pids("realtime"))
            {
                // Every thread of the replica (-a), the ones it starts later inherit it.
                using var pin = System.Diagnostics.Process.Start("taskset", ["-a", "-p", "-c", options.RealtimeCpus, pid.ToString(CultureInfo.InvariantCulture)])!;
                await pin.WaitForExitAsync();
            }

            log.WriteLine($"{options.Name}: realtime replicas pinned to CPUs {options.RealtimeCpus}");
        }

        var baselineRss = sampler.Rss("realtime");
        log.WriteLine($"{options.Name}: opening {options.Clients:N0} sockets ({(realtimeUrls.Count > 0 ? $"to {realtimeUrls.Count} replicas directly: {string.Join(", ", realtimeUrls)}, pids {string.Join(", ", sampler.Pids("realtime"))}" : "through the site's realtime URL")})…");
        var clients = new LoadClient[options.Clients];
        for (var i = 0; i < clients.Length; i++)
        {
            clients[i] = new LoadClient(i, i % options.Boards, recorder, options.Batch);
        }

        recorder.Clients = clients;
        using (var connecting = new SemaphoreSlim(32))
        {
            var connected = 0;
            await Task.WhenAll(clients.Select(async client =>
            {
                await connecting.WaitAsync();
                try
                {
                    var slot = client.Index / options.Boards; // the client's place on its board
                    var token = tokens[client.Board][slot / options.SocketsPerUser];
                    var url = realtimeUrls.Count > 0 ? realtimeUrls[client.Index % realtimeUrls.Count] : null;
                    await client.ConnectAsync(token, url, stack.Origin, CancellationToken.None);
                    if (Interlocked.Increment(ref connected) % 1000 == 0)
                    {
                        log.WriteLine($"  {connected:N0} open");
                    }
                }
                finally
                {
                    connecting.Release();
                }
            }));
        }

        var drawers = clients.Where(c => c.Index / options.Boards < options.DrawersPerBoard).ToList();
        using var stop = new CancellationTokenSource();
        var loops = new List<Task>();
        loops.AddRange(drawers.Select(c => c.DrawAsync(options.BatchesPerSecond, options.PointsPerBatch, 30, stop.Token)));
        if (options.CursorHz > 0)
        {
            loops.AddRange(clients.Select(c => c.MoveCursorAsync(options.CursorHz, stop.Token)));
        }

        log.WriteLine($"{options.Name}: {drawers.Count} drawing, {(options.CursorHz > 0 ? $"everyone moving cursors at {options.CursorHz} Hz" : "no cursors")}; warming up {options.Warmup.TotalSeconds} s…");
        await Task.Delay(options.Warmup);

        var opsBefore = clients.Sum(c => c.OpsReceived);
        var cursorsBefore = clients.Sum(c => c.CursorsReceived);
        var framesBefore = clients.Sum(c => c.Frames);
        var sentBefore = clients.Sum(c => c.MessagesSent);
        sampler.Start();
        var clock = Stopwatch.StartNew();
        Volatile.Write(ref recorder.MeasureFrom, Stopwatch.GetTimestamp());
        log.WriteLine($"{options.Name}: measuring {options.Duration.TotalSeconds} s…");
        if (options.Ping)
        {
            _ = Task.Run(async () =>
            {
                await Task.Delay(options.Duration / 2);
                foreach (var client in clients)
                {
                    await client.PingAsync();
                }
            });
        }

        while (clock.Elapsed < options.Duration)
        {
            await Task.Delay(1000);
            sampler.Sample();
        }

        var seconds = clock.Elapsed.TotalSeconds;
        var realtimeCpu = sampler.CpuPercent("realtime");
        var redisCpu = sampler.CpuPercent("redis");
        var generatorCpu = sampler.CpuPercent("generator");
        var opsIn = clients.Sum(c => c.OpsReceived) - opsBefore;
        var cursorsIn = clients.Sum(c => c.CursorsReceived) - cursorsBefore;
        var framesIn = clients.Sum(c => c.Frames) - framesBefore;
        var sent = clients.Sum(c => c.MessagesSent) - sentBefore;
        var rss = sampler.Rss("realtime");

        // Stop sending, then give every acknowledgement and delivery time to arrive.
        await stop.CancelAsync();
        await Task.WhenAll(loops);
        var drain = Stopwatch.StartNew();
        while (drain.Elapsed < TimeSpan.FromSeconds(30) && !Settled(clients))
        {
            await Task.Delay(200);
        }

        await Task.Delay(500);
        var (expected, delivered) = Deliveries(clients);
        var result = new LoadResult(
            options,
            clients.Length,
            sent / seconds,
            opsIn / seconds,
            cursorsIn / seconds,
            options.Ping && options.DrawersPerBoard == 0 ? recorder.Ping : recorder.Delivery,
            recorder.Ack,
            delivered,
            expected - delivered,
            clients.Sum(c => c.Sent - c.Acked),
            clients.Sum(c => c.Errors),
            clients.Count(c => c.UnexpectedClose is not null),
            clients.Sum(c => c.SequenceGaps),
            realtimeCpu,
            redisCpu,
            generatorCpu,
            (rss - baselineRss) / 1024.0 / clients.Length,
            rss / (1024 * 1024),
            clients.Sum(c => c.Pongs),
            clients.Select(c => c.FirstError ?? (c.UnexpectedClose is { } code ? $"closed {(int)code}" : null)).FirstOrDefault(e => e is not null));
        if (options.Ping)
        {
            log.WriteLine($"{options.Name}: {clients.Sum(c => c.Pongs):N0} of {clients.Length:N0} pings answered; ping p50 {recorder.Ping.GetValueAtPercentile(50) / 1000.0:F2} ms, p99 {recorder.Ping.GetValueAtPercentile(99) / 1000.0:F2} ms");
        }

        log.WriteLine($"{options.Name}: delivered {delivered:N0} of {expected:N0} operations; {result.SequenceGaps} sequence gaps; realtime RSS {baselineRss / 1048576} MB before the sockets, {rss / 1048576} MB with them; cursor broadcasts {cursorsIn / seconds:N0}/s; frames received {framesIn / seconds:N0}/s ({(options.Batch ? "batches accepted" : "no batches")})");
        if (result.FirstError is { } error)
        {
            log.WriteLine($"{options.Name}: first error: {error}");
        }

        await Task.WhenAll(clients.Select(c => c.CloseAsync()));
        return result;
    }

    /// <summary>Every sent operation acknowledged, and every receiver holding every other client's acknowledged operations.</summary>
    private static bool Settled(LoadClient[] clients)
    {
        if (clients.Any(c => c.Acked < c.Sent && c.UnexpectedClose is null))
        {
            return false;
        }

        var (expected, delivered) = Deliveries(clients);
        return delivered >= expected;
    }

    /// <summary>
    /// Deliveries expected (each acknowledged operation to every other open socket of its board) and made,
    /// counted per sender and receiver: a socket closed under load may have had operations appended that it
    /// never saw acknowledged, and the others receiving those must not hide a loss elsewhere.
    /// </summary>
    private static (long Expected, long Delivered) Deliveries(LoadClient[] clients)
    {
        long expected = 0, delivered = 0;
        foreach (var board in clients.GroupBy(c => c.Board))
        {
            var members = board.ToArray();
            foreach (var receiver in members.Where(c => c.UnexpectedClose is null))
            {
                foreach (var sender in members)
                {
                    if (sender != receiver)
                    {
                        var acked = Interlocked.Read(ref sender.Acked);
                        expected += acked;
                        delivered += Math.Min(acked, receiver.ReceivedFrom(sender.Index));
                    }
                }
            }
        }

        return (expected, delivered);
    }

    /// <summary>
    /// Per board: an owner who creates it, and as many more users (editors through share links) as the
    /// per-user socket limit needs; one realtime token per user, shared by that user's sockets.
    /// </summary>
    private static async Task<RealtimeToken[][]> CreateBoardsAsync(BenchStack stack, LoadOptions options, int perBoard)
    {
        var usersPerBoard = Math.Max(1, (int)Math.Ceiling(perBoard / (double)options.SocketsPerUser));
        var tokens = new RealtimeToken[options.Boards][];
        using var parallel = new SemaphoreSlim(Environment.ProcessorCount * 2);
        await Task.WhenAll(Enumerable.Range(0, options.Boards).Select(async board =>
        {
            await parallel.WaitAsync();
            try
            {
                using var owner = await SiteClient.RegisterAsync(stack.Site, Names.NewUserName(), Names.Password);
                var boardId = await owner.CreateBoardAsync($"{options.Name} {board}");
                tokens[board] = new RealtimeToken[usersPerBoard];
                tokens[board][0] = await owner.GetRealtimeTokenAsync(boardId);
                for (var user = 1; user < usersPerBoard; user++)
                {
                    using var editor = await SiteClient.RegisterAsync(stack.Site, Names.NewUserName(), Names.Password);
                    await owner.ShareWithAsync(boardId, editor);
                    tokens[board][user] = await editor.GetRealtimeTokenAsync(boardId);
                }
            }
            finally
            {
                parallel.Release();
            }
        }));
        return tokens;
    }
}
