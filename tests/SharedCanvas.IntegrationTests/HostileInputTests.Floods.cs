using System.Buffers;
using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Aspire.Hosting.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace SharedCanvas.IntegrationTests;

/// <summary>The hostile suite, part: floods of messages and elements, and sockets that read slowly or not at all.</summary>
public sealed partial class HostileInputTests
{
    // ---- Floods and slow readers ----

    [Fact]
    public Task FloodOfTenThousandMessagesASecondIsRefusedThenClosedWith1008() => UnderAttackAsync(async () =>
    {
        await using var socket = await MalloryJoinsAsync();
        var ping = Encoding.UTF8.GetBytes("""{"type":"ping","t":1}""");
        try
        {
            for (var i = 0; i < 10_000 && socket.CloseStatus is null; i++)
            {
                await socket.SendBytesAsync(ping, WebSocketMessageType.Text);
            }
        }
        catch (WebSocketException)
        {
            // The server closed it while it was still sending.
        }

        Assert.Equal("rate_limited", (string?)(await socket.WaitForAsync(m => BoardSocket.Type(m) == "error"))["code"]);
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, await socket.WaitForCloseAsync());
    });

    [Fact]
    public Task FloodOfNewElementsIsRefused() => UnderAttackAsync(async () =>
    {
        await using var socket = await MalloryJoinsAsync();
        var numbers = new List<long>();
        for (var i = 0; i < 100; i++)
        {
            numbers.Add(await socket.SendOpAsync(Ops.AddPen($"spam-{Guid.NewGuid():N}", i, i)));
        }

        Assert.Equal("rate_limited", (string?)(await socket.WaitForAsync(m => BoardSocket.Type(m) == "error"))["code"]);
        // Every operation is either acknowledged or refused by name, so no client keeps one to resend.
        // (Refusals are sent at once and overtake earlier acknowledgements, so the order is not fixed.)
        await WaitUntilAsync(
            () => numbers.Except(socket.Received.Where(m => BoardSocket.Type(m) is "ack" or "error").Select(m => (long?)m["n"] ?? 0)).Any() is false,
            "some operations were neither acknowledged nor refused");
    });

    [Fact]
    public Task SocketThatNeverReadsIsClosedWith1013InsteadOfSlowingTheBoard() => UnderAttackAsync(async () =>
    {
        // One of Mallory's sockets says hello and then never reads; on another she draws large batches.
        var token = await stack.Mallory.GetRealtimeTokenAsync(stack.BoardId);
        using var sleeper = await BoardSocket.ConnectUnreadAsync(token, stack.WebOrigin);
        await sleeper.SendAsync("""{"type":"hello","client":"sleeper-that-never-reads"}"""u8.ToArray(), WebSocketMessageType.Text, true, CancellationToken.None);

        // Another reads its welcome, says hello, and never reads again: the server must cut it off by itself.
        using var dead = await BoardSocket.ConnectUnreadAsync(token, stack.WebOrigin);
        var deadConnection = (string)(await ReadMessageAsync(dead))["me"]!["conn"]!;
        await dead.SendAsync("""{"type":"hello","client":"sleeper-gone-for-good"}"""u8.ToArray(), WebSocketMessageType.Text, true, CancellationToken.None);

        // More than the socket's queue (256 messages, 5 MB) and the kernel's buffers (the unread sockets' receive
        // buffer is fixed at 64 KB, the server's send buffer grows to 4 MB) hold.
        await using var writer = await MalloryJoinsAsync();
        await WriteLargeStrokeAsync(writer);

        // Now it reads: what it finds at the end is the server's 1013.
        var buffer = new byte[1 << 16];
        var deadline = DateTime.UtcNow.AddSeconds(30);
        try
        {
            while (DateTime.UtcNow < deadline)
            {
                var result = await sleeper.ReceiveAsync(buffer, CancellationToken.None);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }
            }
        }
        catch (WebSocketException)
        {
        }

        Assert.Equal((WebSocketCloseStatus)1013, sleeper.CloseStatus);

        // The one that never reads is cut off once its close frame has waited long enough (30 s): its send,
        // stuck behind a full TCP window, ends, and so does the socket.
        using var telemetry = await DashboardTelemetry.ConnectAsync(stack.App);
        using var closed = await telemetry.WaitForAsync($"logs?limit={DashboardTelemetry.Everything}",
            d => d.RootElement.GetRawText().Contains($"Socket {deadConnection} closed", StringComparison.Ordinal), TimeSpan.FromSeconds(60));
    });

    /// <summary>
    /// One stroke of 800 point batches of about 20 KB each (16 MB), paced under the socket's message rate, all
    /// acknowledged: what floods a socket that does not read.
    /// </summary>
    private static async Task WriteLargeStrokeAsync(BoardSocket writer)
    {
        var id = $"big-{Guid.NewGuid():N}";
        var first = await writer.SendOpAsync(Ops.AddPen(id, 0, 0));
        var points = string.Join(",", Enumerable.Range(0, 950).Select(i => $"{100000.25 + i},{200000.75 + i % 100},0.5"));
        const int Batches = 800;
        for (var i = 1; i <= Batches; i++)
        {
            await writer.SendTextAsync($$$"""{"type":"op","n":{{{first + i}}},"op":{"k":"points","id":"{{{id}}}","pts":[{{{points}}}]}}""");
            if (i % 80 == 0)
            {
                await Task.Delay(1000); // stay under the socket's message rate
            }
        }

        await writer.WaitForAsync(m => BoardSocket.Type(m) == "ack" && (long)m["n"]! == first + Batches, TimeSpan.FromSeconds(60));
    }

    [Fact]
    public Task SocketThatStopsReadingDuringItsReplayIsClosedWith1013() => UnderAttackAsync(async () =>
    {
        // A board of Mallory's with a long history: 800 batches of about 20 KB (16 MB), more than a socket's
        // queue (256 messages) and the kernel's buffers hold.
        var boardId = await stack.Mallory.CreateBoardAsync();
        var token = await stack.Mallory.GetRealtimeTokenAsync(boardId);
        await using (var writer = await BoardSocket.ConnectAsync(token, stack.WebOrigin))
        {
            await writer.JoinAsync();
            await WriteLargeStrokeAsync(writer);
        }

        // A socket asks for all of it (since 0: the log still holds every entry) and never reads: its replay
        // stalls on a full queue. It must be closed like any slow reader, not kept catching up for ever.
        using var dead = await BoardSocket.ConnectUnreadAsync(await stack.Mallory.GetRealtimeTokenAsync(boardId), stack.WebOrigin);
        var deadConnection = (string)(await ReadMessageAsync(dead))["me"]!["conn"]!;
        await dead.SendAsync("""{"type":"hello","client":"replay-never-read","since":0}"""u8.ToArray(), WebSocketMessageType.Text, true, CancellationToken.None);

        using var telemetry = await DashboardTelemetry.ConnectAsync(stack.App);
        using var closed = await telemetry.WaitForAsync($"logs?limit={DashboardTelemetry.Everything}",
            d => d.RootElement.GetRawText().Contains($"Socket {deadConnection} closed (1013)", StringComparison.Ordinal), TimeSpan.FromSeconds(90));
    });

    private static async Task<JsonObject> ReadMessageAsync(ClientWebSocket socket)
    {
        var buffer = new ArrayBufferWriter<byte>();
        ValueWebSocketReceiveResult result;
        do
        {
            result = await socket.ReceiveAsync(buffer.GetMemory(1024), CancellationToken.None);
            buffer.Advance(result.Count);
        }
        while (!result.EndOfMessage);

        return JsonNode.Parse(buffer.WrittenSpan)!.AsObject();
    }
}
