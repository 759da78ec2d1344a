using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json.Nodes;

namespace SharedCanvas.IntegrationTests;

/// <summary>A stack with the site's shipped rate limits and one honest person drawing, for attacks on the site itself.</summary>
public sealed class AbuseFixture : StackFixture
{
    protected override bool ShippedRateLimits => true;

    public SiteClient Ada { get; private set; } = null!;

    public ResilientDrawer Honest { get; private set; } = null!;

    /// <summary>An account for the brute-force test, registered before any test can use up the registration limit.</summary>
    public string Victim { get; } = Names.NewUserName();

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Ada = await RegisterAsync();
        using (await SiteClient.RegisterAsync(WebUrl, Victim, Names.Password))
        {
        }

        var boardId = await Ada.CreateBoardAsync();
        Honest = new ResilientDrawer(() => Ada.GetRealtimeTokenAsync(boardId), WebOrigin, TimeSpan.FromMilliseconds(40));
        Honest.Start();
    }

    public override async Task DisposeAsync()
    {
        await Honest.DisposeAsync();
        await base.DisposeAsync();
    }
}

/// <summary>Brute force and floods against the site's sign-in, registration and token endpoints: 429 with Retry-After.</summary>
[Collection(IsolatedCollection.Name)]
public sealed class SiteAbuseTests(AbuseFixture stack) : IClassFixture<AbuseFixture>
{
    private async Task HonestUnaffectedAsync()
    {
        var before = stack.Honest.Acknowledged.Count;
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (stack.Honest.Acknowledged.Count < before + 5)
        {
            Assert.True(DateTime.UtcNow < deadline, "the honest person's drawing stalled");
            await Task.Delay(50);
        }

        Assert.Equal(1, stack.Honest.Connections);
    }

    [Fact]
    public async Task SignInBruteForceIsSlowedWith429PerAccountAndPerAddress()
    {
        var victim = stack.Victim;
        using var attacker = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = stack.WebUrl };
        var form = await attacker.GetStringAsync("/account/login");
        var antiforgery = WebUtility.HtmlDecode(System.Text.RegularExpressions.Regex.Match(form, "name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"").Groups[1].Value);
        Task<HttpResponseMessage> SignInAsync(string userName, string password) => attacker.PostAsync("/account/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["Input.UserName"] = userName,
            ["Input.Password"] = password,
            ["__RequestVerificationToken"] = antiforgery,
        }));

        // Five wrong guesses spend the account's budget for browsers it was never used on: then even the right
        // password is refused unchecked from here, with 429 and Retry-After (nothing is locked: see HostileInputTests).
        for (var i = 0; i < 5; i++)
        {
            using var wrong = await SignInAsync(victim, $"guess number {i}");
            Assert.Contains("The user name or password is incorrect.", await wrong.Content.ReadAsStringAsync());
        }

        using (var right = await SignInAsync(victim, Names.Password))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, right.StatusCode);
            Assert.True(int.Parse(right.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture) > 0);
        }

        // Guessing on at other accounts from the same address is slowed down too: 429 with Retry-After.
        HttpResponseMessage? limited = null;
        for (var i = 0; i < 50 && limited is null; i++)
        {
            var response = await SignInAsync(Names.NewUserName(), $"more guessing {i}");
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                limited = response;
            }
            else
            {
                response.Dispose();
            }
        }

        Assert.NotNull(limited);
        Assert.True(int.Parse(limited.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture) > 0);
        limited.Dispose();
        await HonestUnaffectedAsync();
    }

    [Fact]
    public async Task RegistrationFloodIsStoppedWith429()
    {
        var refused = false;
        for (var i = 0; i < 80 && !refused; i++)
        {
            using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = stack.WebUrl };
            var form = await client.GetStringAsync("/account/register");
            var antiforgery = System.Text.RegularExpressions.Regex.Match(form, "name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"").Groups[1].Value;
            using var response = await client.PostAsync("/account/register", new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["Input.UserName"] = Names.NewUserName(),
                ["Input.Password"] = Names.Password,
                ["Input.ConfirmPassword"] = Names.Password,
                ["__RequestVerificationToken"] = WebUtility.HtmlDecode(antiforgery),
            }));
            refused = response.StatusCode == HttpStatusCode.TooManyRequests;
            Assert.True(refused || response.StatusCode == HttpStatusCode.Redirect, $"registration answered {response.StatusCode}");
        }

        Assert.True(refused, "80 registrations from one address were all accepted");
        await HonestUnaffectedAsync();
    }

    [Fact]
    public async Task TokenEndpointFloodIsStoppedWith429AndRetryAfter()
    {
        using var api = new ApiClient(stack.WebUrl);
        HttpStatusCode last = HttpStatusCode.OK;
        string? retryAfter = null;
        for (var i = 0; i < 60 && last != HttpStatusCode.TooManyRequests; i++)
        {
            using var response = await api.RequestTokenAsync("nobody-" + i, "wrong password");
            last = response.StatusCode;
            retryAfter = response.Headers.RetryAfter?.ToString();
        }

        Assert.Equal(HttpStatusCode.TooManyRequests, last);
        Assert.False(string.IsNullOrEmpty(retryAfter));
        await HonestUnaffectedAsync();
    }
}

/// <summary>A stack whose signing key rotates every 10 seconds (each successor published 3 seconds before it signs).</summary>
public sealed class RotatingKeysFixture : StackFixture
{
    protected override void Configure(Aspire.Hosting.Testing.IDistributedApplicationTestingBuilder builder)
    {
        SetEnvironment(builder, "web", "Auth__SigningKeyLifetime", "00:00:10");
        SetEnvironment(builder, "web", "Auth__SigningKeyActivationDelay", "00:00:03");
        SetEnvironment(builder, "web", "Auth__KeyReloadInterval", "00:00:01");
        SetEnvironment(builder, "realtime", "Auth__JwksMinimumRefreshInterval", "00:00:01");
    }
}

[Collection(IsolatedCollection.Name)]
public sealed class KeyRotationTests(RotatingKeysFixture stack) : IClassFixture<RotatingKeysFixture>
{
    [Fact]
    public async Task AfterRotationTokensOfTheNewAndThePreviousKeyAreBothAccepted()
    {
        using var person = await stack.RegisterAsync();
        var boardId = await person.CreateBoardAsync();
        var before = await person.GetRealtimeTokenAsync(boardId);
        await using var open = await BoardSocket.ConnectAsync(before, stack.WebOrigin);
        await open.JoinAsync();

        RealtimeToken after;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        do
        {
            await Task.Delay(1000);
            after = await person.GetRealtimeTokenAsync(boardId);
            Assert.True(DateTime.UtcNow < deadline, "the signing key did not rotate");
        }
        while (TokenForge.Read(after.AccessToken).Kid == TokenForge.Read(before.AccessToken).Kid);

        using var http = new HttpClient { BaseAddress = stack.WebUrl };
        var jwks = (await http.GetFromJsonAsync<JsonObject>("/.well-known/jwks.json"))!["keys"]!.AsArray().Select(k => (string)k!["kid"]!).ToList();
        Assert.Contains(TokenForge.Read(before.AccessToken).Kid, jwks);
        Assert.Contains(TokenForge.Read(after.AccessToken).Kid, jwks);

        // The realtime service meets an unknown key id, fetches the key set again, and accepts the token.
        Assert.Equal(HttpStatusCode.SwitchingProtocols, await BoardSocket.HandshakeStatusAsync(after.Url, after.AccessToken, stack.WebOrigin));
        Assert.Equal(HttpStatusCode.SwitchingProtocols, await BoardSocket.HandshakeStatusAsync(before.Url, before.AccessToken, stack.WebOrigin));
        await open.SendAsync(new JsonObject { ["type"] = "auth", ["token"] = after.AccessToken });
        await open.WaitForAsync(m => BoardSocket.Type(m) == "auth.ok");
    }
}

/// <summary>Revocation reaches open sockets within seconds: signing out everywhere, deleting the account.</summary>
[Collection(StackCollection.Name)]
public sealed class AccountRevocationTests(StackFixture stack)
{
    [Fact]
    public async Task SigningOutEverywhereClosesEveryOpenSocketAndRefusesNewTokens()
    {
        using var person = await stack.RegisterAsync();
        using var elsewhere = await SiteClient.SignInAsync(stack.WebUrl, person.UserName, Names.Password);
        var boardId = await person.CreateBoardAsync();
        await using var socket = await BoardSocket.ConnectAsync(await elsewhere.GetRealtimeTokenAsync(boardId), stack.WebOrigin);
        await socket.JoinAsync();

        using var signOut = await person.PostFormAsync("/account?handler=SignOutEverywhere", []);
        Assert.Equal(HttpStatusCode.Redirect, signOut.StatusCode);

        Assert.Equal((WebSocketCloseStatus)4401, await socket.WaitForCloseAsync());
        var page = await elsewhere.Http.GetStringAsync($"/boards/{boardId}");
        var antiforgery = System.Text.RegularExpressions.Regex.Match(page, "data-antiforgery=\"([^\"]+)\"").Groups[1].Value;
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/boards/{boardId}/realtime-token");
        request.Headers.Add("RequestVerificationToken", WebUtility.HtmlDecode(antiforgery));
        using var token = await elsewhere.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, token.StatusCode);
    }

    [Fact]
    public async Task AWithdrawnTokenStaysRefusedAfterEveryRealtimeReplicaRestarted()
    {
        using var ada = await stack.RegisterAsync();
        using var ben = await stack.RegisterAsync();
        var boardId = await ada.CreateBoardAsync();
        await ada.ShareWithAsync(boardId, ben, "editor");
        var before = await ben.GetRealtimeTokenAsync(boardId);
        await ada.RemoveMemberAsync(boardId, ben);

        foreach (var replica in stack.InstancesOf("realtime"))
        {
            await stack.RestartAsync(replica);
        }

        // Several handshakes, so that both replicas answer.
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, await BoardSocket.HandshakeStatusAsync(before.Url, before.AccessToken, stack.WebOrigin));
        }
    }

    [Fact]
    public async Task DeletingTheAccountClosesTheirSocketsAndTheirBoards()
    {
        using var ada = await stack.RegisterAsync();
        using var ben = await stack.RegisterAsync();
        var adasBoard = await ada.CreateBoardAsync();
        var bensBoard = await ben.CreateBoardAsync();
        await ben.ShareWithAsync(bensBoard, ada, "editor");
        await using var onBensBoard = await BoardSocket.ConnectAsync(await ada.GetRealtimeTokenAsync(bensBoard), stack.WebOrigin);
        await using var bensSocketOnAdasBoard = await BoardSocket.ConnectAsync(await ben.GetRealtimeTokenAsync(bensBoard), stack.WebOrigin);
        await onBensBoard.JoinAsync();
        await bensSocketOnAdasBoard.JoinAsync();
        await ada.ShareWithAsync(adasBoard, ben, "viewer");
        await using var bensViewOfAdasBoard = await BoardSocket.ConnectAsync(await ben.GetRealtimeTokenAsync(adasBoard), stack.WebOrigin);
        await bensViewOfAdasBoard.JoinAsync();

        using var delete = await ada.PostFormAsync("/account?handler=Delete", new() { ["DeletePassword"] = Names.Password });
        Assert.Equal(HttpStatusCode.Redirect, delete.StatusCode);

        Assert.Equal((WebSocketCloseStatus)4403, await onBensBoard.WaitForCloseAsync());
        Assert.Equal((WebSocketCloseStatus)4404, await bensViewOfAdasBoard.WaitForCloseAsync());
        Assert.Null(bensSocketOnAdasBoard.CloseStatus);
        using var api = new ApiClient(stack.WebUrl);
        using var signIn = await api.RequestTokenAsync(ada.UserName, Names.Password);
        Assert.Equal(HttpStatusCode.Unauthorized, signIn.StatusCode);
    }
}
