using System.Diagnostics;
using System.Text.Json.Nodes;
using SharedCanvas.Testing;

namespace SharedCanvas.Bench;

/// <summary>
/// The version history's figures (issue 16): a board of N operations (pen strokes, as late-join draws
/// them) is drawn and saved, then a socket asks for its timeline and for versions at points spread over
/// it, each timed from the request to the answer. Versions are asked no faster than the history's own
/// limit (10 a second per socket). The times include receiving and parsing the answer (a version of the
/// whole board is megabytes of JSON), as a page's would.
/// </summary>
internal static class HistoryScenario
{
    public static async Task RunAsync(BenchStack stack, BenchOptions options)
    {
        using var person = await SiteClient.RegisterAsync(stack.Site, Names.NewUserName(), Names.Password);
        var boardId = await person.CreateBoardAsync("history benchmark");
        Console.Error.WriteLine($"drawing {options.Elements:N0} operations…");
        var head = await LateJoinScenario.DrawAsync(person, boardId, stack.Origin, options.Elements);
        await LateJoinScenario.WaitForSnapshotAsync(person, boardId, head);

        await using var socket = await BoardSocket.ConnectAsync(await person.GetRealtimeTokenAsync(boardId), stack.Origin);
        await socket.JoinAsync();
        var timelines = new List<double>();
        var versions = new List<double>();
        var moments = 0;
        var random = new Random(42);
        for (var run = 0; run < options.Runs + 1; run++)
        {
            await Task.Delay(120);
            var clock = Stopwatch.StartNew();
            await socket.SendAsync(new JsonObject { ["type"] = "history" });
            var history = await socket.WaitForAsync(m => BoardSocket.Type(m) == "history");
            moments = history["moments"]!.AsArray().Count;
            if (run > 0)
            {
                timelines.Add(clock.Elapsed.TotalMilliseconds); // the first run warms up; it is not counted
            }

            for (var v = 0; v < 5; v++)
            {
                await Task.Delay(120);
                var seq = random.NextInt64(1, head + 1);
                clock.Restart();
                await socket.SendAsync(new JsonObject { ["type"] = "version", ["seq"] = seq });
                await socket.WaitForAsync(m => BoardSocket.Type(m) == "version" && (long?)m["seq"] == seq);
                if (run > 0)
                {
                    versions.Add(clock.Elapsed.TotalMilliseconds);
                }
            }
        }

        static string Row(string what, List<double> ms, string target)
        {
            var sorted = ms.Order().ToArray();
            return $"| {what} | {sorted.Length} | {sorted[0]:F0} | {sorted[sorted.Length / 2]:F0} | {sorted[^1]:F0} | {target} |";
        }

        Console.WriteLine();
        Console.WriteLine($"history of a board of {head:N0} operations ({moments} moments):");
        Console.WriteLine("| request | runs | min ms | median ms | max ms | target |");
        Console.WriteLine("|---|---|---|---|---|---|");
        Console.WriteLine(Row("timeline (`history`)", timelines, "≤ 1,000 ms"));
        Console.WriteLine(Row("any version (`version`, random seq)", versions, "≤ 200 ms"));
    }
}
