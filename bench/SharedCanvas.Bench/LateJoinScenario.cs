using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SharedCanvas.Realtime.Model;
using SharedCanvas.Testing;

namespace SharedCanvas.Bench;

/// <summary>
/// How long a late joiner takes to receive and apply a board of N elements, end to end: from opening the
/// socket to holding the folded board (snapshot plus whatever the log holds after it). The board is
/// drawn first (pen strokes of 16 points each) and given time to be saved, as an old board would be.
/// </summary>
internal static class LateJoinScenario
{
    public static async Task RunAsync(BenchStack stack, BenchOptions options)
    {
        using var person = await SiteClient.RegisterAsync(stack.Site, Names.NewUserName(), Names.Password);
        var boardId = await person.CreateBoardAsync("late-join benchmark");
        Console.Error.WriteLine($"drawing {options.Elements:N0} elements…");
        var head = await DrawAsync(person, boardId, stack.Origin, options.Elements);
        await WaitForSnapshotAsync(person, boardId, head);

        var runs = new List<(double Ms, long Bytes, int Elements, long SnapshotSeq)>();
        for (var run = 0; run < options.Runs + 1; run++)
        {
            var token = await person.GetRealtimeTokenAsync(boardId);
            var result = await JoinOnceAsync(token, stack.Origin);
            if (run > 0)
            {
                runs.Add(result); // the first run warms up connections and caches; it is not counted
            }
        }

        var ms = runs.Select(r => r.Ms).Order().ToArray();
        Console.WriteLine();
        Console.WriteLine("| scenario | elements | bytes received | snapshot seq / head | runs | min ms | median ms | max ms | target |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
        Console.WriteLine($"| late-join | {runs[0].Elements:N0} | {runs[0].Bytes:N0} | {runs[0].SnapshotSeq:N0} / {head:N0} | {runs.Count} | {ms[0]:F0} | {ms[ms.Length / 2]:F0} | {ms[^1]:F0} | ≤ 1,000 ms |");
    }

    internal static async Task<long> DrawAsync(SiteClient person, string boardId, string origin, int elements)
    {
        await using var writer = await BoardSocket.ConnectAsync(await person.GetRealtimeTokenAsync(boardId), origin);
        await writer.JoinAsync();
        for (var i = 0; i < elements; i++)
        {
            var pts = new JsonArray();
            for (var p = 0; p < 16; p++)
            {
                pts.Add(i % 1000 + p * 3.25);
                pts.Add(i / 1000 * 40 + p * 1.5);
                pts.Add(0.5);
            }

            await writer.SendOpAsync(new JsonObject
            {
                ["k"] = "add",
                ["el"] = new JsonObject { ["id"] = $"e{i}", ["t"] = "pen", ["color"] = "#1e1e1e", ["width"] = 3, ["opacity"] = 1, ["pts"] = pts, ["done"] = true },
            });
        }

        var last = await writer.WaitForAsync(m => BoardSocket.Type(m) == "ack" && (long)m["n"]! == elements, TimeSpan.FromMinutes(5));
        return (long)last["seq"]!;
    }

    internal static async Task WaitForSnapshotAsync(SiteClient person, string boardId, long head)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (DateTime.UtcNow < deadline)
        {
            await using var probe = await BoardSocket.ConnectAsync(await person.GetRealtimeTokenAsync(boardId));
            await probe.JoinAsync();
            if ((long)probe.Received.First(m => BoardSocket.Type(m) == "snapshot")["seq"]! >= head)
            {
                return;
            }

            await Task.Delay(500);
        }

        Console.Error.WriteLine("warning: the saver did not snapshot the board in time; measuring a replay of the log");
    }

    private static async Task<(double Ms, long Bytes, int Elements, long SnapshotSeq)> JoinOnceAsync(RealtimeToken token, string origin)
    {
        var clock = Stopwatch.StartNew();
        using var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Origin", origin);
        await socket.ConnectAsync(BoardSocket.Authorize(socket, token.Url, token.AccessToken), CancellationToken.None);
        await socket.SendAsync(Encoding.UTF8.GetBytes($"{{\"type\":\"hello\",\"client\":\"{BoardSocket.NewClientId()}\",\"batch\":true}}"), WebSocketMessageType.Text, true, CancellationToken.None);

        var buffer = new byte[1 << 16];
        using var message = new MemoryStream();
        long bytes = 0;
        long snapshotSeq = 0;
        var state = BoardState.Load(0, "[]"u8);
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, CancellationToken.None);
            message.Write(buffer, 0, result.Count);
            bytes += result.Count;
            if (!result.EndOfMessage)
            {
                continue;
            }

            var span = message.GetBuffer().AsSpan(0, (int)message.Length);
            var reader = new Utf8JsonReader(span);
            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            // A batch (protocol §2) holds several messages, in order.
            foreach (var each in root.ValueKind == JsonValueKind.Array ? [.. root.EnumerateArray()] : new[] { root })
            {
                switch (each.GetProperty("type").GetString())
                {
                    case "snapshot":
                        snapshotSeq = each.GetProperty("seq").GetInt64();
                        var elements = each.GetProperty("elements");
                        state = BoardState.Load(snapshotSeq, Encoding.UTF8.GetBytes(elements.GetRawText()));
                        break;
                    case "op":
                        state.Apply(each.GetProperty("seq").GetInt64(), each.GetProperty("author").GetString()!, each.GetProperty("op"));
                        break;
                    case "synced":
                        clock.Stop();
                        await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
                        return (clock.Elapsed.TotalMilliseconds, bytes, state.Count, snapshotSeq);
                }
            }

            message.SetLength(0);
        }
    }
}
