using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Aspire.Hosting.Testing;
using SharedCanvas.Realtime.Model;
using StackExchange.Redis;

namespace SharedCanvas.IntegrationTests;

/// <summary>
/// The weaknesses an outside security test found in the first wave (docs/security.md, "Attacks tried"):
/// each is reproduced here as the attacker tried it, with the honest person drawing throughout.
/// </summary>
public sealed partial class HostileInputTests
{
    private static bool IsAck(JsonObject m, long n) => BoardSocket.Type(m) == "ack" && (long?)m["n"] == n;

    private static bool IsOpOn(JsonObject m, string elementId) =>
        BoardSocket.Type(m) == "op" && (string?)m["op"]?["el"]?["id"] == elementId;

    // ---- 1. Operation identity belongs to one user ----

    [Fact]
    public Task AnEditorWhoTakesAnotherPersonsClientIdCannotMakeTheirLaterWorkVanish() => UnderAttackAsync(async () =>
    {
        // Alice (the owner) draws; Bob (an editor) reads her client id from one of her broadcast operations.
        await using var alice = await BoardSocket.ConnectAsync(await stack.Ada.GetRealtimeTokenAsync(stack.BoardId), stack.WebOrigin);
        await alice.JoinAsync();
        await using var bob = await MalloryJoinsAsync();
        var first = $"alice-{Guid.NewGuid():N}";
        await alice.SendOpAsync(Ops.AddPen(first, 1, 1));
        var seen = await bob.WaitForAsync(m => IsOpOn(m, first));
        var aliceClient = (string)seen["client"]!;
        Assert.Equal(alice.ClientId, aliceClient);

        // Bob says hello as Alice's client and sends the largest operation number there is.
        await using var impostor = await BoardSocket.ConnectAsync(await stack.Mallory.GetRealtimeTokenAsync(stack.BoardId), stack.WebOrigin, aliceClient);
        await impostor.WaitForAsync(m => BoardSocket.Type(m) == "welcome");
        await impostor.SendAsync(new JsonObject { ["type"] = "hello", ["client"] = aliceClient });
        try
        {
            await impostor.SendOpAsync(9007199254740991, Ops.AddPen($"bob-{Guid.NewGuid():N}", 5, 5));
        }
        catch (WebSocketException)
        {
            // The server may already have closed the socket at the hello (the id is Alice's): that is the point.
        }

        Assert.Equal(WebSocketCloseStatus.PolicyViolation, await impostor.WaitForCloseAsync());
        Assert.DoesNotContain(impostor.Received, m => BoardSocket.Type(m) == "ack");

        // Alice draws on: her next operation is stored, with a sequence number, and everyone sees it.
        var second = $"alice-{Guid.NewGuid():N}";
        var n = await alice.SendOpAsync(Ops.AddPen(second, 2, 2));
        var ack = await alice.WaitForAsync(m => IsAck(m, n));
        Assert.Null(ack["dup"]);
        Assert.True((long)ack["seq"]! > 0);
        await bob.WaitForAsync(m => IsOpOn(m, second));
    });

    [Fact]
    public Task AResendOfANumberThatWasNeverStoredIsStoredNotTakenForADuplicate() => UnderAttackAsync(async () =>
    {
        // Operation 2 never reached the log (its refusal was lost with the connection, say); 1 and 3 did.
        await using var socket = await MalloryJoinsAsync();
        string Id() => $"gap-{Guid.NewGuid():N}";
        await socket.SendOpAsync(1, Ops.AddPen(Id(), 1, 1));
        await socket.SendOpAsync(3, Ops.AddPen(Id(), 3, 3));
        await socket.WaitForAsync(m => IsAck(m, 3));

        // Resent, 2 is stored now: an acknowledgement with a sequence number, not a "duplicate".
        var missing = Id();
        await socket.SendOpAsync(2, Ops.AddPen(missing, 2, 2));
        var stored = await socket.WaitForAsync(m => IsAck(m, 2));
        Assert.Null(stored["dup"]);
        Assert.True((long)stored["seq"]! > 0);
        await stack.Watcher.WaitForElementAsync(missing, Patience);

        // Resent again, it is the duplicate it now is.
        await socket.SendOpAsync(2, Ops.AddPen(missing, 2, 2));
        Assert.True((bool?)(await socket.WaitForAsync(m => IsAck(m, 2)))["dup"]);
    });

    // ---- 3. Guessing passwords locks nobody out ----

    [Fact]
    public Task WrongPasswordsLockNobodyOutOfTheSessionsTheyHave() => UnderAttackAsync(async () =>
    {
        using var victim = await stack.RegisterAsync();
        var board = await victim.CreateBoardAsync();
        var refresh = (string)(await TokensAsync(victim))["refreshToken"]!;
        await using var socket = await BoardSocket.ConnectAsync(await victim.GetRealtimeTokenAsync(board), stack.WebOrigin);
        await socket.JoinAsync();

        // Someone guesses at the sign-in form, from a browser that never signed in, until they are slowed down.
        var answers = await GuessAsync(victim.UserName, 10);
        Assert.Contains(HttpStatusCode.TooManyRequests, answers);

        // The person's sessions are untouched: the cookie gets tokens, the socket renews, the refresh token works.
        var renewed = await victim.GetRealtimeTokenAsync(board);
        await socket.SendAsync(new JsonObject { ["type"] = "auth", ["token"] = renewed.AccessToken });
        await socket.WaitForAsync(m => BoardSocket.Type(m) == "auth.ok");
        Assert.Equal(HttpStatusCode.OK, await RefreshAsync(refresh));

        // And from a browser they signed in from before, they sign in again.
        using var again = await victim.PostFormAsync("/account/login", new() { ["Input.UserName"] = victim.UserName, ["Input.Password"] = Names.Password });
        Assert.Equal(HttpStatusCode.Redirect, again.StatusCode);
    });

    [Fact]
    public Task GuessingIsSlowedPerAccountWithoutBlockingTheAddressForOthers() => UnderAttackAsync(async () =>
    {
        using var api = new ApiClient(stack.WebUrl);
        var target = stack.Vic.UserName;
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 8 && !statuses.Contains(HttpStatusCode.TooManyRequests); i++)
        {
            using var response = await api.RequestTokenAsync(target, $"guess {i}");
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                Assert.NotNull(response.Headers.RetryAfter);
            }
        }

        Assert.Equal(HttpStatusCode.TooManyRequests, statuses[^1]);
        Assert.All(statuses[..^1], s => Assert.Equal(HttpStatusCode.Unauthorized, s));
        using var other = await api.RequestTokenAsync(Names.NewUserName(), "a guess at someone else");
        Assert.Equal(HttpStatusCode.Unauthorized, other.StatusCode);
    });

    /// <summary>Wrong passwords for <paramref name="userName"/> at the sign-in form, from a fresh browser; the statuses.</summary>
    private async Task<List<HttpStatusCode>> GuessAsync(string userName, int attempts)
    {
        using var attacker = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = stack.WebUrl };
        var form = await attacker.GetStringAsync("/account/login");
        var antiforgery = WebUtility.HtmlDecode(System.Text.RegularExpressions.Regex.Match(form, "name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"").Groups[1].Value);
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < attempts && !statuses.Contains(HttpStatusCode.TooManyRequests); i++)
        {
            using var response = await attacker.PostAsync("/account/login", new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["Input.UserName"] = userName,
                ["Input.Password"] = $"guess number {i}",
                ["__RequestVerificationToken"] = antiforgery,
            }));
            statuses.Add(response.StatusCode);
        }

        return statuses;
    }

    // ---- 6. Share links stay out of telemetry ----

    [Fact]
    public Task ShareLinkIdsNeverAppearInTelemetry() => UnderAttackAsync(async () =>
    {
        using var person = await stack.RegisterAsync();
        var link = await stack.Ada.CreateShareLinkAsync(stack.BoardId, "viewer");
        using (await person.Http.GetAsync($"/share/{link}"))
        using (await person.AcceptShareLinkAsync(link))
        using (await person.ApiAsync(HttpMethod.Post, $"/api/share/{link}"))
        {
        }

        using var telemetry = await DashboardTelemetry.ConnectAsync(stack.App);
        using var spans = await telemetry.WaitForAsync($"spans?limit={DashboardTelemetry.Everything}", d =>
            DashboardTelemetry.Spans(d).Count(s => s.Service == "web"
                && DashboardTelemetry.Attribute(s.Span, "url.path")?.StartsWith("/api/share/", StringComparison.Ordinal) == true) >= 1);
        foreach (var kind in new[] { "spans", "logs", "traces" })
        {
            var exported = await telemetry.GetRawAsync($"{kind}?limit={DashboardTelemetry.Everything}") ?? "";
            var at = exported.IndexOf(link, StringComparison.Ordinal);
            Assert.True(at < 0, $"the link id is in the {kind}: …{(at < 0 ? "" : exported[Math.Max(0, at - 400)..Math.Min(exported.Length, at + 100)])}…");
        }
    });

    // ---- 7. The protocol document and the code agree ----

    [Fact]
    public Task APropertyWrittenTwiceOnceEscapedClosesWith1007() => ClosesWithAsync(WebSocketCloseStatus.InvalidPayloadData, socket =>
        socket.SendTextAsync("""{"type":"ping","\u0074ype":"op","t":1}"""));

    /// <summary>The board as the log now folds it (the fold the saver and every page apply), from a fresh socket's replay.</summary>
    private async Task<BoardState> FoldedBoardAsync()
    {
        await using var reader = await BoardSocket.ConnectAsync(await stack.Ada.GetRealtimeTokenAsync(stack.BoardId), stack.WebOrigin);
        await reader.JoinAsync();
        var state = new BoardState();
        foreach (var message in reader.Received)
        {
            switch (BoardSocket.Type(message))
            {
                case "snapshot":
                    state = BoardState.Load((long)message["seq"]!, Encoding.UTF8.GetBytes(message["elements"]!.ToJsonString()));
                    break;
                case "op":
                    using (var op = JsonDocument.Parse(message["op"]!.ToJsonString()))
                    {
                        state.Apply((long)message["seq"]!, (string)message["author"]!, op.RootElement);
                    }

                    break;
            }
        }

        return state;
    }

    [Fact]
    public Task SettingPointsThatDoNotFitTheElementIsIgnored() => UnderAttackAsync(async () =>
    {
        await using var socket = await MalloryJoinsAsync();
        var rect = $"rect-{Guid.NewGuid():N}";
        var pen = $"pen-{Guid.NewGuid():N}";
        await socket.SendOpAsync(new JsonObject
        {
            ["k"] = "add",
            ["el"] = new JsonObject { ["id"] = rect, ["t"] = "rect", ["color"] = "#1e1e1e", ["width"] = 2, ["pts"] = new JsonArray(0, 0, 10, 10) },
        });
        await socket.SendOpAsync(Ops.AddPen(pen, 1, 1));
        // Six numbers for a rectangle (two corners are four); a pen point whose pressure is 7 (pressure is 0–1).
        await socket.SendOpAsync(new JsonObject { ["k"] = "update", ["id"] = rect, ["set"] = new JsonObject { ["pts"] = new JsonArray(0, 0, 1, 1, 2, 2) } });
        var last = await socket.SendOpAsync(new JsonObject { ["k"] = "update", ["id"] = pen, ["set"] = new JsonObject { ["pts"] = new JsonArray(1, 1, 7) } });
        await socket.WaitForAsync(m => IsAck(m, last));

        var board = await FoldedBoardAsync();
        Assert.Equal([0, 0, 10, 10], board.Elements.Single(e => e.Id == rect).Pts);
        Assert.Equal([1, 1, 0.5], board.Elements.Single(e => e.Id == pen).Pts);
    });

    [Fact]
    public Task AMoveCannotTakeAnElementPastTheCoordinateLimit() => UnderAttackAsync(async () =>
    {
        await using var socket = await MalloryJoinsAsync();
        var pen = $"edge-{Guid.NewGuid():N}";
        await socket.SendOpAsync(Ops.AddPen(pen, 999_000, 0));
        var last = await socket.SendOpAsync(new JsonObject { ["k"] = "update", ["ids"] = new JsonArray(pen), ["dx"] = 1_500_000, ["dy"] = 0 });
        await socket.WaitForAsync(m => IsAck(m, last));

        var board = await FoldedBoardAsync();
        Assert.Equal(999_000, board.Elements.Single(e => e.Id == pen).Pts[0]);
    });

    // ---- 8. Every message costs from a budget ----

    [Fact]
    public Task FloodOfUnknownMessageTypesIsClosedWith1008AndItsAnswersAreBounded() => UnderAttackAsync(async () =>
    {
        await using var socket = await MalloryJoinsAsync();
        var unknown = Encoding.UTF8.GetBytes("""{"type":"subscribe","board":"*"}""");
        await SendUntilClosedAsync(socket, unknown, 20_000);
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, await socket.WaitForCloseAsync());
        var errors = socket.Received.Count(m => BoardSocket.Type(m) == "error");
        Assert.InRange(errors, 1, 20);
    });

    [Fact]
    public Task CursorFloodIsClosedWith1008() => UnderAttackAsync(async () =>
    {
        await using var socket = await MalloryJoinsAsync();
        await SendUntilClosedAsync(socket, Encoding.UTF8.GetBytes("""{"type":"cursor","x":1,"y":2}"""), 50_000);
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, await socket.WaitForCloseAsync());
        Assert.InRange(socket.Received.Count(m => BoardSocket.Type(m) == "error"), 0, 20);
    });

    [Fact]
    public Task CursorsAtAPersonsRateAreNeverRefused() => UnderAttackAsync(async () =>
    {
        // Faster than the board page sends them (at most 25 a second), for three seconds.
        await using var socket = await MalloryJoinsAsync();
        for (var i = 0; i < 120; i++)
        {
            await socket.SendTextAsync($$"""{"type":"cursor","x":{{i}},"y":1}""");
            await Task.Delay(25);
        }

        await socket.SendAsync(new JsonObject { ["type"] = "ping", ["t"] = 2 });
        await socket.WaitForAsync(m => BoardSocket.Type(m) == "pong");
        Assert.Null(socket.CloseStatus);
        Assert.DoesNotContain(socket.Received, m => BoardSocket.Type(m) == "error");
    });

    private static async Task SendUntilClosedAsync(BoardSocket socket, byte[] message, int count)
    {
        try
        {
            for (var i = 0; i < count && socket.CloseStatus is null; i++)
            {
                await socket.SendBytesAsync(message, WebSocketMessageType.Text);
            }
        }
        catch (WebSocketException)
        {
            // The server closed it while it was still sending.
        }
    }
}
