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

/// <summary>
/// A stack with the rate limits the product ships with, the dashboard on (to read what was logged and
/// traced), and one board on which an honest person draws continuously, watched by a second socket, for
/// the whole suite. Two settings differ from the defaults so that the suite runs quickly: a socket's send
/// queue holds 256 messages (a non-reading socket fills it sooner) and hello is due within 2 s.
/// </summary>
public sealed class SecurityFixture : StackFixture
{
    protected override bool ShippedRateLimits => true;

    protected override bool EnableDashboard => true;

    protected override void Configure(Aspire.Hosting.Testing.IDistributedApplicationTestingBuilder builder)
    {
        SetEnvironment(builder, "realtime", "Realtime__SendQueueCapacity", "256");
        SetEnvironment(builder, "realtime", "Realtime__HelloTimeout", "00:00:02");
        // Unanswered pings would end a silent socket after 30 s too; here only the server's own timeouts may.
        SetEnvironment(builder, "realtime", "Realtime__KeepAliveTimeout", "00:05:00");
    }

    public SiteClient Ada { get; private set; } = null!;

    public SiteClient Mallory { get; private set; } = null!;

    public SiteClient Vic { get; private set; } = null!;

    public SiteClient Eve { get; private set; } = null!;

    public string BoardId { get; private set; } = "";

    public string SocketUrl { get; private set; } = "";

    public SiteKeys Keys { get; private set; } = null!;

    public ResilientDrawer Honest { get; private set; } = null!;

    public ResilientDrawer Watcher { get; private set; } = null!;

    private (string Token, DateTime At)? _model;

    /// <summary>A real realtime token of Mallory's for the board, fetched at most once a minute.</summary>
    public async Task<string> ModelTokenAsync()
    {
        if (_model is not { } model || DateTime.UtcNow - model.At > TimeSpan.FromMinutes(1))
        {
            _model = ((await Mallory.GetRealtimeTokenAsync(BoardId)).AccessToken, DateTime.UtcNow);
        }

        return _model.Value.Token;
    }

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Ada = await RegisterAsync();
        Mallory = await RegisterAsync();
        Vic = await RegisterAsync();
        Eve = await RegisterAsync();
        BoardId = await Ada.CreateBoardAsync("Under attack");
        await Ada.ShareWithAsync(BoardId, Mallory, "editor");
        await Ada.ShareWithAsync(BoardId, Vic, "viewer");
        SocketUrl = (await Ada.GetRealtimeTokenAsync(BoardId)).Url;
        Keys = await SiteKeys.LoadAsync(this);

        // 25 operations a second (about 6 new strokes): a person drawing briskly, well inside the limits.
        Honest = new ResilientDrawer(() => Ada.GetRealtimeTokenAsync(BoardId), WebOrigin, TimeSpan.FromMilliseconds(40));
        Watcher = new ResilientDrawer(() => Ada.GetRealtimeTokenAsync(BoardId), WebOrigin, TimeSpan.FromMilliseconds(40), draw: false);
        Honest.Start();
        Watcher.Start();
    }

    public override async Task DisposeAsync()
    {
        await Honest.DisposeAsync();
        await Watcher.DisposeAsync();
        await base.DisposeAsync();
    }
}

/// <summary>
/// Hostile input (docs/security.md): every case asserts its documented outcome, and that the honest person
/// drawing on the same board at the same time was never disconnected and lost nothing.
/// </summary>
[Collection(IsolatedCollection.Name)]
public sealed partial class HostileInputTests(SecurityFixture stack, ITestOutputHelper output) : IClassFixture<SecurityFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    /// <summary>Runs an attack while the honest person draws, then checks they were unaffected.</summary>
    private async Task UnderAttackAsync(Func<Task> attack)
    {
        var honest = stack.Honest;
        await WaitUntilAsync(() => honest.Live && stack.Watcher.Live, "the honest clients are not live");
        var before = honest.Acknowledged.Count;

        await attack();

        // Still drawing, still acknowledged: the attack did not slow the board down to a stop.
        await WaitUntilAsync(() => honest.Acknowledged.Count >= before + 5, "the honest person's drawing stalled during the attack");
        await honest.PauseAsync(Patience);
        try
        {
            var head = honest.Acknowledged.Values.Max();
            await stack.Watcher.WaitForSeqAsync(head, Patience);
            await WaitUntilAsync(() => stack.Watcher.Seq == honest.Seq, "the two honest clients did not converge");
            BoardAudit.AssertNothingAcknowledgedLost([honest], stack.Watcher);
            Assert.Equal(1, honest.Connections);
            Assert.Equal(1, stack.Watcher.Connections);
        }
        finally
        {
            honest.Resume();
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string failure)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, failure);
            await Task.Delay(50);
        }
    }

    private Task HandshakeIsRefusedAsync(string? token, HttpStatusCode expected, string? origin = "site") =>
        UnderAttackAsync(async () =>
            Assert.Equal(expected, await BoardSocket.HandshakeStatusAsync(stack.SocketUrl, token, origin == "site" ? stack.WebOrigin : origin)));

    /// <summary>A real token of Mallory's, the model forged tokens start from (reused for a minute: the site rate-limits token requests).</summary>
    private Task<string> MalloryTokenAsync() => stack.ModelTokenAsync();

    private async Task<BoardSocket> MalloryJoinsAsync()
    {
        var socket = await BoardSocket.ConnectAsync(await stack.Mallory.GetRealtimeTokenAsync(stack.BoardId), stack.WebOrigin);
        await socket.JoinAsync();
        return socket;
    }

    private static string Base64Url(string json) => Base64UrlEncoder.Encode(json);

    // ---- Tokens at the handshake: 401 ----

    [Fact]
    public Task NoTokenIsRefusedWith401() => HandshakeIsRefusedAsync(null, HttpStatusCode.Unauthorized);

    [Fact]
    public Task EmptyTokenIsRefusedWith401() => HandshakeIsRefusedAsync("", HttpStatusCode.Unauthorized);

    [Fact]
    public Task GarbageTokenIsRefusedWith401() => HandshakeIsRefusedAsync("this.is.garbage", HttpStatusCode.Unauthorized);

    [Fact]
    public async Task AlgNoneTokenIsRefusedWith401()
    {
        var payload = TokenForge.Read(await MalloryTokenAsync()).EncodedPayload;
        await HandshakeIsRefusedAsync($"{Base64Url("""{"alg":"none","typ":"at+jwt"}""")}.{payload}.", HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Hs256TokenSignedWithTheSitesPublicKeyIsRefusedWith401()
    {
        var real = TokenForge.Read(await MalloryTokenAsync());
        var jwks = await new HttpClient { BaseAddress = stack.WebUrl }.GetStringAsync("/.well-known/jwks.json");
        var forged = new JsonWebTokenHandler().CreateToken(real.EncodedPayload is { } p ? Encoding.UTF8.GetString(Base64UrlEncoder.DecodeBytes(p)) : "",
            new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(jwks)) { KeyId = real.Kid }, SecurityAlgorithms.HmacSha256));
        await HandshakeIsRefusedAsync(forged, HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task TokenSignedByAForeignKeyWithAnUnknownKidIsRefusedWith401() =>
        await HandshakeIsRefusedAsync(TokenForge.ResignWithForeignKey(await MalloryTokenAsync(), keepKeyId: false), HttpStatusCode.Unauthorized);

    [Fact]
    public async Task TokenSignedByAForeignKeyClaimingTheSitesKidIsRefusedWith401() =>
        await HandshakeIsRefusedAsync(TokenForge.ResignWithForeignKey(await MalloryTokenAsync(), keepKeyId: true), HttpStatusCode.Unauthorized);

    /// <summary>The model's claims, signed with the attacker's key, with extra headers that point at the attacker's key.</summary>
    private static string SignWithHeaders(string model, Func<ECDsaSecurityKey, Dictionary<string, object>> headers, string keyId = "attacker")
    {
        var original = TokenForge.Read(model);
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var key = new ECDsaSecurityKey(ecdsa) { KeyId = keyId };
        var payload = Encoding.UTF8.GetString(Base64UrlEncoder.DecodeBytes(original.EncodedPayload));
        return new JsonWebTokenHandler().CreateToken(payload, new SigningCredentials(key, SecurityAlgorithms.EcdsaSha256), headers(key));
    }

    [Fact]
    public async Task JkuHeaderPointingAtAnAttackersKeySetIsIgnoredAndTheTokenRefusedWith401() =>
        await HandshakeIsRefusedAsync(SignWithHeaders(await MalloryTokenAsync(),
            _ => new() { ["jku"] = "http://127.0.0.1:9/attacker/jwks.json" }), HttpStatusCode.Unauthorized);

    [Fact]
    public async Task JwkHeaderCarryingTheAttackersOwnKeyIsIgnoredAndTheTokenRefusedWith401() =>
        await HandshakeIsRefusedAsync(SignWithHeaders(await MalloryTokenAsync(), key =>
        {
            var jwk = JsonWebKeyConverter.ConvertFromECDsaSecurityKey(key);
            return new() { ["jwk"] = new Dictionary<string, object> { ["kty"] = "EC", ["crv"] = "P-256", ["x"] = jwk.X, ["y"] = jwk.Y } };
        }), HttpStatusCode.Unauthorized);

    [Fact]
    public async Task X5uHeaderIsIgnoredAndTheTokenRefusedWith401() =>
        await HandshakeIsRefusedAsync(SignWithHeaders(await MalloryTokenAsync(),
            _ => new() { ["x5u"] = "http://127.0.0.1:9/attacker.pem" }), HttpStatusCode.Unauthorized);

    [Fact]
    public async Task KidWithAPathIsRefusedWith401() =>
        await HandshakeIsRefusedAsync(SignWithHeaders(await MalloryTokenAsync(), _ => [], keyId: "../../../../../../dev/null"), HttpStatusCode.Unauthorized);

    [Fact]
    public async Task TamperedPayloadIsRefusedWith401()
    {
        var parts = (await MalloryTokenAsync()).Split('.');
        var payload = JsonNode.Parse(Base64UrlEncoder.Decode(parts[1]))!;
        payload["role"] = "owner";
        await HandshakeIsRefusedAsync($"{parts[0]}.{Base64Url(payload.ToJsonString())}.{parts[2]}", HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task SiteSignedTokenWithAnotherIssuerIsRefusedWith401() =>
        await HandshakeIsRefusedAsync(stack.Keys.Sign(await MalloryTokenAsync(), t => t.Issuer = "https://evil.example"), HttpStatusCode.Unauthorized);

    [Fact]
    public async Task SiteSignedTokenForAnotherAudienceIsRefusedWith401() =>
        await HandshakeIsRefusedAsync(stack.Keys.Sign(await MalloryTokenAsync(), t => t.Audience = "sharedcanvas-api"), HttpStatusCode.Unauthorized);

    [Fact]
    public async Task TheSitesOwnApiTokenIsRefusedWith401()
    {
        using var response = await stack.Mallory.Http.PostAsJsonAsync("/api/auth/token", new { userName = stack.Mallory.UserName, password = Names.Password });
        var apiToken = (string)(await response.Content.ReadFromJsonAsync<JsonObject>())!["accessToken"]!;
        await HandshakeIsRefusedAsync(apiToken, HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task SiteSignedTokenOfAnotherTypeIsRefusedWith401() =>
        await HandshakeIsRefusedAsync(stack.Keys.Sign(await MalloryTokenAsync(), t => t.Type = "JWT"), HttpStatusCode.Unauthorized);

    [Fact]
    public async Task ExpiredTokenIsRefusedWith401() =>
        await HandshakeIsRefusedAsync(stack.Keys.Sign(await MalloryTokenAsync(), t =>
        {
            t.IssuedAt = t.NotBefore = DateTime.UtcNow.AddMinutes(-4);
            t.Expires = DateTime.UtcNow.AddMinutes(-1);
        }), HttpStatusCode.Unauthorized);

    [Fact]
    public async Task NotYetValidTokenIsRefusedWith401() =>
        await HandshakeIsRefusedAsync(stack.Keys.Sign(await MalloryTokenAsync(), t =>
        {
            t.IssuedAt = DateTime.UtcNow;
            t.NotBefore = DateTime.UtcNow.AddMinutes(3);
            t.Expires = DateTime.UtcNow.AddMinutes(5);
        }), HttpStatusCode.Unauthorized);

    [Fact]
    public async Task TokenLivingLongerThanFiveMinutesIsRefusedWith401() =>
        await HandshakeIsRefusedAsync(stack.Keys.Sign(await MalloryTokenAsync(), t => t.Expires = DateTime.UtcNow.AddDays(1)), HttpStatusCode.Unauthorized);

    [Fact]
    public async Task TokenWithoutARoleIsRefusedWith401() =>
        await HandshakeIsRefusedAsync(stack.Keys.Sign(await MalloryTokenAsync(), t => t.Claims.Remove("role")), HttpStatusCode.Unauthorized);

    [Fact]
    public async Task TokenWithAnUnknownRoleIsRefusedWith401() =>
        await HandshakeIsRefusedAsync(stack.Keys.Sign(await MalloryTokenAsync(), t => t.Claims["role"] = "admin"), HttpStatusCode.Unauthorized);

    [Fact]
    public async Task TokenWithoutAJtiIsRefusedWith401() =>
        await HandshakeIsRefusedAsync(stack.Keys.Sign(await MalloryTokenAsync(), t => t.Claims.Remove("jti")), HttpStatusCode.Unauthorized);

    [Fact]
    public async Task TokenForAnotherBoardIsRefusedWith401()
    {
        var otherBoard = await stack.Mallory.CreateBoardAsync();
        await HandshakeIsRefusedAsync((await stack.Mallory.GetRealtimeTokenAsync(otherBoard)).AccessToken, HttpStatusCode.Unauthorized);
    }

    // ---- Origin and socket count ----

    [Fact]
    public async Task ForeignOriginIsRefusedWith403() =>
        await HandshakeIsRefusedAsync(await MalloryTokenAsync(), HttpStatusCode.Forbidden, "https://evil.example");

    [Fact]
    public async Task NullOriginIsRefusedWith403() =>
        await HandshakeIsRefusedAsync(await MalloryTokenAsync(), HttpStatusCode.Forbidden, "null");

    [Fact]
    public Task FiveHundredSocketsFromOneUserAreCappedWith429() => UnderAttackAsync(async () =>
    {
        var token = await stack.Mallory.GetRealtimeTokenAsync(stack.BoardId);
        var open = new List<ClientWebSocket>();
        var refused = 0;
        try
        {
            for (var i = 0; i < 500 && refused < 20; i++)
            {
                var socket = new ClientWebSocket();
                socket.Options.CollectHttpResponseDetails = true;
                try
                {
                    await socket.ConnectAsync(BoardSocket.Authorize(socket, token.Url, token.AccessToken), CancellationToken.None);
                    open.Add(socket);
                }
                catch (WebSocketException)
                {
                    Assert.Equal(HttpStatusCode.TooManyRequests, socket.HttpStatusCode);
                    refused++;
                    socket.Dispose();
                }
            }

            Assert.Equal(20, open.Count);
            Assert.Equal(20, refused);
        }
        finally
        {
            foreach (var socket in open)
            {
                socket.Abort();
                socket.Dispose();
            }
        }

        // The seats come back when the sockets close.
        await Task.Delay(500);
        await using var again = await MalloryJoinsAsync();
    });

    // ---- In-band renewal ----

    private async Task RenewalClosesWith1008Async(string token) => await UnderAttackAsync(async () =>
    {
        await using var socket = await MalloryJoinsAsync();
        await socket.SendAsync(new JsonObject { ["type"] = "auth", ["token"] = token });
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, await socket.WaitForCloseAsync());
    });

    [Fact]
    public async Task RenewalWithAnotherUsersTokenClosesWith1008() =>
        await RenewalClosesWith1008Async((await stack.Vic.GetRealtimeTokenAsync(stack.BoardId)).AccessToken);

    [Fact]
    public async Task RenewalWithATokenForAnotherBoardClosesWith1008() =>
        await RenewalClosesWith1008Async((await stack.Mallory.GetRealtimeTokenAsync(await stack.Mallory.CreateBoardAsync())).AccessToken);

    [Fact]
    public async Task RenewalWithAnExpiredTokenClosesWith1008() =>
        await RenewalClosesWith1008Async(stack.Keys.Sign(await MalloryTokenAsync(), t =>
        {
            t.IssuedAt = t.NotBefore = DateTime.UtcNow.AddMinutes(-4);
            t.Expires = DateTime.UtcNow.AddMinutes(-1);
        }));

    [Fact]
    public async Task RenewalWithAForgedTokenClosesWith1008() =>
        await RenewalClosesWith1008Async(TokenForge.ResignWithForeignKey(await MalloryTokenAsync(), keepKeyId: true));

    [Fact]
    public Task RenewalWithGarbageClosesWith1008() => RenewalClosesWith1008Async("garbage");

    // ---- Roles ----

    [Fact]
    public Task ViewerWritesAreRefusedAndTheSocketClosesWith4403WhenTheyPersist() => UnderAttackAsync(async () =>
    {
        await using var viewer = await BoardSocket.ConnectAsync(await stack.Vic.GetRealtimeTokenAsync(stack.BoardId), stack.WebOrigin);
        await viewer.JoinAsync();
        await viewer.SendOpAsync(Ops.AddPen($"vic-{Guid.NewGuid():N}", 1, 1));
        Assert.Equal("forbidden", (string?)(await viewer.WaitForAsync(m => BoardSocket.Type(m) == "error"))["code"]);
        await viewer.SendOpAsync(Ops.AddPen($"vic-{Guid.NewGuid():N}", 1, 1));
        await viewer.SendOpAsync(Ops.AddPen($"vic-{Guid.NewGuid():N}", 1, 1));
        Assert.Equal((WebSocketCloseStatus)4403, await viewer.WaitForCloseAsync());
    });

    [Fact]
    public Task EditorCannotClearTheBoard() => UnderAttackAsync(async () =>
    {
        await using var socket = await MalloryJoinsAsync();
        await socket.SendOpAsync(new JsonObject { ["k"] = "clear" });
        Assert.Equal("forbidden", (string?)(await socket.WaitForAsync(m => BoardSocket.Type(m) == "error"))["code"]);
    });

    // ---- Frames and messages ----

    private Task ClosesWithAsync(WebSocketCloseStatus expected, Func<BoardSocket, Task> send) => UnderAttackAsync(async () =>
    {
        await using var socket = await MalloryJoinsAsync();
        await send(socket);
        Assert.Equal(expected, await socket.WaitForCloseAsync());
    });

    private Task ErrorFrameAsync(string code, string message) => UnderAttackAsync(async () =>
    {
        await using var socket = await MalloryJoinsAsync();
        await socket.SendTextAsync(message);
        var error = await socket.WaitForAsync(m => BoardSocket.Type(m) == "error");
        Assert.Equal(code, (string?)error["code"]);
        await socket.SendAsync(new JsonObject { ["type"] = "ping", ["t"] = 1 });
        await socket.WaitForAsync(m => BoardSocket.Type(m) == "pong");
    });

    [Fact]
    public Task OversizeMessageClosesWith1009() => ClosesWithAsync(WebSocketCloseStatus.MessageTooBig,
        socket => socket.SendTextAsync($$"""{"type":"ping","pad":"{{new string('x', 70_000)}}"}"""));

    [Fact]
    public Task ManySmallFragmentsAddingUpPastTheLimitCloseWith1009() => ClosesWithAsync(WebSocketCloseStatus.MessageTooBig, async socket =>
    {
        var fragment = Encoding.UTF8.GetBytes(new string(' ', 1024));
        try
        {
            await socket.SendBytesAsync("""{"type":"ping","pad":" """u8.ToArray(), WebSocketMessageType.Text, endOfMessage: false);
            for (var i = 0; i < 80; i++)
            {
                await socket.SendBytesAsync(fragment, WebSocketMessageType.Text, endOfMessage: false);
            }
        }
        catch (WebSocketException) when (socket.CloseStatus is not null)
        {
            // The server may close as soon as the fragments pass the limit, before the last ones are sent;
            // which close code it used is asserted below.
        }
    });

    [Fact]
    public Task HundredThousandPointsInABatchCloseWith1009() => ClosesWithAsync(WebSocketCloseStatus.MessageTooBig, socket =>
        socket.SendTextAsync($$$"""{"type":"op","n":1,"op":{"k":"points","id":"p","pts":[{{{string.Join(",", Enumerable.Repeat("1,2,0.5", 100_000))}}}]}}"""));

    [Fact]
    public Task MalformedJsonClosesWith1007() => ClosesWithAsync(WebSocketCloseStatus.InvalidPayloadData, socket => socket.SendTextAsync("{\"type\":\"op\",,}"));

    [Fact]
    public Task DeeplyNestedJsonClosesWith1007() => ClosesWithAsync(WebSocketCloseStatus.InvalidPayloadData, socket =>
        socket.SendTextAsync("""{"type":"ping","deep":""" + new string('[', 10_000) + new string(']', 10_000) + "}"));

    [Fact]
    public Task NaNCoordinatesCloseWith1007() => ClosesWithAsync(WebSocketCloseStatus.InvalidPayloadData, socket =>
        socket.SendTextAsync("""{"type":"op","n":1,"op":{"k":"points","id":"p","pts":[NaN,1,0.5]}}"""));

    [Fact]
    public Task DuplicatePropertiesCloseWith1007() => ClosesWithAsync(WebSocketCloseStatus.InvalidPayloadData, socket =>
        socket.SendTextAsync("""{"type":"op","n":1,"n":2,"op":{"k":"end","id":"p"}}"""));

    [Fact]
    public Task ValuesOfTheWrongTypeCloseWith1007() => ClosesWithAsync(WebSocketCloseStatus.InvalidPayloadData, socket =>
        socket.SendTextAsync("""{"type":"op","n":"1","op":{"k":"end","id":"p"}}"""));

    [Fact]
    public Task InvalidUtf8ClosesWith1007() => ClosesWithAsync(WebSocketCloseStatus.InvalidPayloadData, socket =>
        socket.SendBytesAsync(new byte[] { (byte)'{', 0xC3, 0x28, (byte)'}' }, WebSocketMessageType.Text));

    [Fact]
    public Task BinaryFramesCloseWith1003() => ClosesWithAsync(WebSocketCloseStatus.InvalidMessageType, socket =>
        socket.SendBytesAsync(new byte[] { 1, 2, 3 }, WebSocketMessageType.Binary));

    [Fact]
    public Task SecondHelloClosesWith1008() => ClosesWithAsync(WebSocketCloseStatus.PolicyViolation, socket =>
        socket.SendAsync(new JsonObject { ["type"] = "hello", ["client"] = socket.ClientId }));

    [Fact]
    public Task InfiniteCoordinatesGetAnInvalidOpError() =>
        ErrorFrameAsync("invalid_op", """{"type":"op","n":1,"op":{"k":"add","el":{"id":"i","t":"pen","pts":[1e999,1,0.5]}}}""");

    [Fact]
    public Task HugeCoordinatesGetAnInvalidOpError() =>
        ErrorFrameAsync("invalid_op", """{"type":"op","n":1,"op":{"k":"add","el":{"id":"h","t":"pen","pts":[100000000,1,0.5]}}}""");

    [Fact]
    public Task ThousandAndOnePointsGetAnInvalidOpError() =>
        ErrorFrameAsync("invalid_op", """{"type":"op","n":1,"op":{"k":"add","el":{"id":"m","t":"pen","pts":[""" + string.Join(",", Enumerable.Repeat("1,2,0.5", 1001)) + "]}}}");

    [Fact]
    public Task InvalidColourGetsAnInvalidOpError() =>
        ErrorFrameAsync("invalid_op", """{"type":"op","n":1,"op":{"k":"add","el":{"id":"c","t":"pen","color":"red;}</style>","pts":[1,1,0.5]}}}""");

    [Fact]
    public Task WidthOutOfRangeGetsAnInvalidOpError() =>
        ErrorFrameAsync("invalid_op", """{"type":"op","n":1,"op":{"k":"add","el":{"id":"w","t":"pen","width":100000,"pts":[1,1,0.5]}}}""");

    [Fact]
    public Task TooLongTextGetsAnInvalidOpError() =>
        ErrorFrameAsync("invalid_op", "{\"type\":\"op\",\"n\":1,\"op\":{\"k\":\"add\",\"el\":{\"id\":\"t\",\"t\":\"text\",\"text\":\"" + new string('x', 10_001) + "\",\"pts\":[1,1]}}}");

    [Fact]
    public Task UnknownOperationGetsAnInvalidOpError() =>
        ErrorFrameAsync("invalid_op", """{"type":"op","n":1,"op":{"k":"drop-table"}}""");

    [Fact]
    public Task ElementIdWithMarkupGetsAnInvalidOpError() =>
        ErrorFrameAsync("invalid_op", """{"type":"op","n":1,"op":{"k":"add","el":{"id":"<img src=x onerror=alert(1)>","t":"pen","pts":[1,1,0.5]}}}""");

    [Fact]
    public Task UnknownMessageTypeGetsAnError() => ErrorFrameAsync("unknown_type", """{"type":"subscribe","board":"*"}""");

    [Fact]
    public Task OperationBeforeHelloGetsANotReadyError() => UnderAttackAsync(async () =>
    {
        await using var socket = await BoardSocket.ConnectAsync(await stack.Mallory.GetRealtimeTokenAsync(stack.BoardId), stack.WebOrigin);
        await socket.SendOpAsync(Ops.AddPen("early", 1, 1));
        Assert.Equal("not_ready", (string?)(await socket.WaitForAsync(m => BoardSocket.Type(m) == "error"))["code"]);
    });

    [Fact]
    public Task SocketThatNeverSaysHelloIsClosedWith1008() => UnderAttackAsync(async () =>
    {
        await using var socket = await BoardSocket.ConnectAsync(await stack.Mallory.GetRealtimeTokenAsync(stack.BoardId), stack.WebOrigin);
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, await socket.WaitForCloseAsync(TimeSpan.FromSeconds(10)));
    });

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

        await using var writer = await MalloryJoinsAsync();
        var id = $"big-{Guid.NewGuid():N}";
        await writer.SendOpAsync(Ops.AddPen(id, 0, 0));
        // About 20 KB each, 800 of them (16 MB): more than the socket's queue (256 messages, 5 MB) and the kernel's
        // buffers (the unread sockets' receive buffer is fixed at 64 KB, the server's send buffer grows to 4 MB) hold.
        var points = string.Join(",", Enumerable.Range(0, 950).Select(i => $"{100000.25 + i},{200000.75 + i % 100},0.5"));
        const int Batches = 800;
        for (var i = 0; i < Batches; i++)
        {
            await writer.SendTextAsync($$$"""{"type":"op","n":{{{i + 2}}},"op":{"k":"points","id":"{{{id}}}","pts":[{{{points}}}]}}""");
            if (i % 80 == 79)
            {
                await Task.Delay(1000); // stay under the socket's message rate
            }
        }

        await writer.WaitForAsync(m => BoardSocket.Type(m) == "ack" && (long)m["n"]! == Batches + 1, TimeSpan.FromSeconds(60));

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
            var id = $"long-{Guid.NewGuid():N}";
            await writer.SendOpAsync(Ops.AddPen(id, 0, 0));
            var points = string.Join(",", Enumerable.Range(0, 950).Select(i => $"{100000.25 + i},{200000.75 + i % 100},0.5"));
            const int Batches = 800;
            for (var i = 0; i < Batches; i++)
            {
                await writer.SendTextAsync($$$"""{"type":"op","n":{{{i + 2}}},"op":{"k":"points","id":"{{{id}}}","pts":[{{{points}}}]}}""");
                if (i % 80 == 79)
                {
                    await Task.Delay(1000); // stay under the socket's message rate
                }
            }

            await writer.WaitForAsync(m => BoardSocket.Type(m) == "ack" && (long)m["n"]! == Batches + 1, TimeSpan.FromSeconds(60));
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

    // ---- Refresh tokens ----

    private async Task<JsonObject> TokensAsync(SiteClient person, string password = Names.Password)
    {
        using var response = await person.Http.PostAsJsonAsync("/api/auth/token", new { userName = person.UserName, password });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    private async Task<HttpStatusCode> RefreshAsync(string refreshToken)
    {
        using var http = new HttpClient { BaseAddress = stack.WebUrl };
        using var response = await http.PostAsJsonAsync("/api/auth/refresh", new { refreshToken });
        return response.StatusCode;
    }

    [Fact]
    public Task ReusingASpentRefreshTokenRevokesTheWholeFamily() => UnderAttackAsync(async () =>
    {
        var first = (string)(await TokensAsync(stack.Eve))["refreshToken"]!;
        using var http = new HttpClient { BaseAddress = stack.WebUrl };
        using var rotated = await http.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = first });
        rotated.EnsureSuccessStatusCode();
        var second = (string)(await rotated.Content.ReadFromJsonAsync<JsonObject>())!["refreshToken"]!;

        Assert.Equal(HttpStatusCode.Unauthorized, await RefreshAsync(first));   // the thief replays the old one
        Assert.Equal(HttpStatusCode.Unauthorized, await RefreshAsync(second));  // and the family is gone
    });

    [Fact]
    public Task RefreshTokensDieOnSignOut() => UnderAttackAsync(async () =>
    {
        var refresh = (string)(await TokensAsync(stack.Eve))["refreshToken"]!;
        using var http = new HttpClient { BaseAddress = stack.WebUrl };
        using var logout = await http.PostAsJsonAsync("/api/auth/logout", new { refreshToken = refresh });
        Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, await RefreshAsync(refresh));
    });

    [Fact]
    public Task RefreshTokensDieOnPasswordChangeAndOpenSocketsClose() => UnderAttackAsync(async () =>
    {
        using var person = await stack.RegisterAsync();
        var refresh = (string)(await TokensAsync(person))["refreshToken"]!;
        var board = await person.CreateBoardAsync();
        await using var socket = await BoardSocket.ConnectAsync(await person.GetRealtimeTokenAsync(board), stack.WebOrigin);
        await socket.JoinAsync();

        using var change = await person.PostFormAsync("/account?handler=ChangePassword", new()
        {
            ["Password.Current"] = Names.Password,
            ["Password.New"] = "a different long passphrase",
            ["Password.Repeat"] = "a different long passphrase",
        });
        Assert.Equal(HttpStatusCode.Redirect, change.StatusCode);

        Assert.Equal(HttpStatusCode.Unauthorized, await RefreshAsync(refresh));
        Assert.Equal((WebSocketCloseStatus)4401, await socket.WaitForCloseAsync());
    });

    // ---- The site ----

    [Fact]
    public Task RealtimeTokenRequestForgedFromAnotherSiteIsRefused() => UnderAttackAsync(async () =>
    {
        // A cross-site form post carries the cookie but not the antiforgery header.
        using var response = await stack.Mallory.Http.PostAsync($"/api/boards/{stack.BoardId}/realtime-token", null);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    });

    [Fact]
    public Task PagesCarryTheSecurityHeaders() => UnderAttackAsync(async () =>
    {
        using var response = await stack.Mallory.Http.GetAsync($"/boards/{stack.BoardId}");
        var csp = string.Join(";", response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("script-src 'self'", csp);
        Assert.DoesNotContain("unsafe-inline", csp);
        Assert.Contains("frame-ancestors 'none'", csp);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("same-origin", response.Headers.GetValues("Referrer-Policy").Single());
        var cookies = (await stack.Mallory.Http.GetAsync("/account/login")).Headers.TryGetValues("Set-Cookie", out var set) ? set : [];
        Assert.All(cookies, cookie => Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase));
    });

    [Fact]
    public Task TokensNeverAppearInLogsOrTraces() => UnderAttackAsync(async () =>
    {
        var token = await MalloryTokenAsync();
        await using (var socket = await BoardSocket.ConnectAsync(await stack.Mallory.GetRealtimeTokenAsync(stack.BoardId), stack.WebOrigin))
        {
            await socket.JoinAsync();
            await socket.SendAsync(new JsonObject { ["type"] = "auth", ["token"] = token });
            await socket.WaitForAsync(m => BoardSocket.Type(m) == "auth.ok");
        }

        // Refused handshakes: the token offered as a subprotocol, and in the URL as older clients send it.
        Assert.Equal(HttpStatusCode.Unauthorized, await BoardSocket.HandshakeStatusAsync(stack.SocketUrl, token + "x", stack.WebOrigin));
        Assert.Equal(HttpStatusCode.Unauthorized, await BoardSocket.HandshakeStatusAsync(stack.SocketUrl, token + "y", stack.WebOrigin, tokenInQuery: true));

        using var telemetry = await DashboardTelemetry.ConnectAsync(stack.App);
        // The handshake requests were traced (with their path) and logged; wait until they were exported.
        // Unfiltered: with replicas, each is its own resource in the dashboard ("realtime-ab12cd").
        using var spans = await telemetry.WaitForAsync($"spans?limit={DashboardTelemetry.Everything}", d =>
            DashboardTelemetry.Spans(d).Count(s => s.Service == "realtime"
                && DashboardTelemetry.Attribute(s.Span, "url.path")?.StartsWith("/ws/boards/", StringComparison.Ordinal) == true) >= 3);
        var signature = token.Split('.')[2];
        foreach (var kind in new[] { "spans", "logs" })
        {
            var exported = await telemetry.GetRawAsync($"{kind}?limit={DashboardTelemetry.Everything}")
                ?? throw new InvalidOperationException($"the dashboard holds no {kind}");
            foreach (var service in new[] { "realtime", "web" })
            {
                Assert.Contains($"\"{service}\"", exported);
            }

            var at = exported.IndexOf(signature, StringComparison.Ordinal);
            Assert.True(at < 0, $"the token is in the {kind}: …{(at < 0 ? "" : exported[Math.Max(0, at - 1500)..Math.Min(exported.Length, at + 200)])}…");
            Assert.DoesNotContain("access_token=ey", exported);
        }

        output.WriteLine($"checked {DashboardTelemetry.Spans(spans).Count()} spans and the logs of every service");
    });
}
