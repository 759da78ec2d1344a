using System.Globalization;

namespace SharedCanvas.Bench;

/// <summary>
/// <c>dotnet run --project bench/SharedCanvas.Bench -c Release -- &lt;scenario&gt; [options]</c>; see docs/performance.md.
/// </summary>
internal static class BenchCommand
{
    private const string Usage = """
        usage: SharedCanvas.Bench <scenario> [--site URL] [options]
        scenarios (presets; options change them):
          unloaded         one board, two sockets, one drawing 30 batches/s          target p50 ≤ 2 ms, p99 ≤ 5 ms
          classroom-grid   1,000 sockets, 50 boards × 20, 2 drawing per board at 30/s, cursors 20 Hz, 60 s   target p99 ≤ 50 ms, nothing lost
          big-room         one board, 200 sockets, 20 drawing, cursors 20 Hz, 30 s
          idle             10,000 idle sockets on one realtime instance; pings answered   target ≤ 16 KB RSS per socket
          late-join        open a 10,000-element board                               target ≤ 1 s
          history          a 10,000-operation board's timeline and versions          target ≤ 1 s, ≤ 200 ms
          browser-frames   draw in Chromium on a 10,000-element board; frame times    target 60 fps
          smoke            20 sockets for 3 s (what CI runs)
          all              every scenario above but smoke, one table
        options:
          --site URL       measure a running stack (default: start one, on a temporary data directory)
          --clients N  --boards N  --drawers-per-board N  --rate N  --points N  --cursor-hz N
          --duration S  --warmup S  --sockets-per-user N  --replicas N  --via-proxy true
          --elements N  --runs N                   (late-join, history, browser-frames)
          --realtime-env KEY=VALUE                 environment of the realtime replicas of a stack it starts (experiments)
          --realtime-cpus LIST                     pin the realtime replicas to these CPUs (taskset list, e.g. 0)
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help")
        {
            Console.WriteLine(Usage);
            return args.Length == 0 ? 1 : 0;
        }

        Uri? site = null;
        var elements = 10_000;
        var runs = 5;
        var loadOptions = new List<(string Option, string Value)>();
        var realtimeEnvironment = new List<string>();
        for (var i = 1; i < args.Length; i += 2)
        {
            var value = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--site": site = new Uri(value); break;
                case "--elements": elements = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--runs": runs = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--realtime-env": realtimeEnvironment.Add(value); break;
                default: loadOptions.Add((args[i], value)); break;
            }
        }

        var scenarios = args[0] == "all"
            ? new[] { "unloaded", "classroom-grid", "big-room", "late-join", "history", "browser-frames", "idle" }
            : [args[0]];
        var results = new List<LoadResult>();
        foreach (var scenario in scenarios)
        {
            if (LoadOptions.Preset(scenario) is { } preset)
            {
                var options = loadOptions.Aggregate(preset, (o, kv) => o.With(kv.Option, kv.Value));
                await using var stack = await BenchStack.StartAsync(site, options.Replicas, realtimeEnvironment);
                var result = await LoadScenario.RunAsync(stack, options, Console.Error);
                results.Add(result);
                Console.WriteLine();
                LoadResult.PrintHeader();
                result.Print();
            }
            else if (scenario == "late-join")
            {
                await using var stack = await BenchStack.StartAsync(site);
                await LateJoinScenario.RunAsync(stack, new BenchOptions(site, elements, runs));
            }
            else if (scenario == "history")
            {
                await using var stack = await BenchStack.StartAsync(site);
                await HistoryScenario.RunAsync(stack, new BenchOptions(site, elements, runs));
            }
            else if (scenario == "browser-frames")
            {
                await using var stack = await BenchStack.StartAsync(site);
                await BrowserFramesScenario.RunAsync(stack, new BenchOptions(site, elements, runs));
            }
            else
            {
                Console.Error.WriteLine($"unknown scenario '{scenario}'\n{Usage}");
                return 1;
            }
        }

        if (results.Count > 1)
        {
            Console.WriteLine();
            Console.WriteLine("all load scenarios:");
            LoadResult.PrintHeader();
            results.ForEach(r => r.Print());
        }

        return 0;
    }
}

internal sealed record BenchOptions(Uri? Site, int Elements, int Runs);
