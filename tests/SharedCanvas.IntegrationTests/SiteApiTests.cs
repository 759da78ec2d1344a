using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace SharedCanvas.IntegrationTests;

/// <summary>The site's API for the board page (cookie + antiforgery) and for cookie-less clients (bearer).</summary>
[Collection(StackCollection.Name)]
public sealed class SiteApiTests(StackFixture stack)
{
    [Fact]
    public async Task CookieLessClientSignsInCreatesABoardAndDrawsWithBearerTokens()
    {
        var userName = Names.NewUserName();
        using (await SiteClient.RegisterAsync(stack.WebUrl, userName, Names.Password))
        {
        }

        using var api = new ApiClient(stack.WebUrl);
        await api.SignInAsync(userName, Names.Password);

        using var created = await api.Http.PostAsJsonAsync("/api/boards", new { name = "From the API" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var board = (await created.Content.ReadFromJsonAsync<JsonObject>())!;
        var boardId = (string)board["id"]!;

        var list = await api.Http.GetFromJsonAsync<JsonArray>("/api/boards");
        Assert.Contains(list!, b => (string?)b!["id"] == boardId && (string?)b["name"] == "From the API");

        using var tokenResponse = await api.Http.PostAsync($"/api/boards/{boardId}/realtime-token", null);
        tokenResponse.EnsureSuccessStatusCode();
        var token = (await tokenResponse.Content.ReadFromJsonAsync<RealtimeToken>())!;
        Assert.EndsWith($"/ws/boards/{boardId}", token.Url);

        await using var socket = await BoardSocket.ConnectAsync(token);
        await socket.JoinAsync();
        var n = await socket.SendOpAsync(Ops.AddPen("api-1", 3, 4));
        var ack = await socket.WaitForAsync(m => BoardSocket.Type(m) == "ack");
        Assert.Equal(n, (long)ack["n"]!);
    }

    [Fact]
    public async Task WrongPasswordAndUnknownUserGetTheSame401()
    {
        var userName = Names.NewUserName();
        using (await SiteClient.RegisterAsync(stack.WebUrl, userName, Names.Password))
        {
        }

        using var api = new ApiClient(stack.WebUrl);
        using var wrongPassword = await api.RequestTokenAsync(userName, "not the password");
        using var unknownUser = await api.RequestTokenAsync(Names.NewUserName(), "not the password");

        Assert.Equal(HttpStatusCode.Unauthorized, wrongPassword.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, unknownUser.StatusCode);
        var first = (await wrongPassword.Content.ReadFromJsonAsync<JsonObject>())!;
        var second = (await unknownUser.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal((string?)first["title"], (string?)second["title"]);
        Assert.Equal((string?)first["detail"], (string?)second["detail"]);
    }

    [Fact]
    public async Task TheSitesApiTokenIsRefusedByTheRealtimeService()
    {
        using var person = await stack.RegisterAsync();
        var boardId = await person.CreateBoardAsync();
        var realtime = await person.GetRealtimeTokenAsync(boardId);
        using var api = new ApiClient(stack.WebUrl);
        await api.SignInAsync(person.UserName, Names.Password);

        Assert.Equal(HttpStatusCode.Unauthorized, await BoardSocket.HandshakeStatusAsync(realtime.Url, api.BearerToken, stack.WebOrigin));
    }

    [Fact]
    public async Task RealtimeTokenRequestWithTheCookieButWithoutAntiforgeryIsRefused()
    {
        using var person = await stack.RegisterAsync();
        var boardId = await person.CreateBoardAsync();

        using var response = await person.Http.PostAsync($"/api/boards/{boardId}/realtime-token", null);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task ApiWithoutCredentialsAnswers401InsteadOfRedirecting()
    {
        using var anonymous = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = stack.WebUrl };

        using var response = await anonymous.GetAsync("/api/boards");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task RealtimeTokenForAnUnknownBoardIs404()
    {
        using var person = await stack.RegisterAsync();
        using var api = new ApiClient(stack.WebUrl);
        await api.SignInAsync(person.UserName, Names.Password);

        using var response = await api.Http.PostAsync($"/api/boards/{new string('a', 32)}/realtime-token", null);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task KeySetPublishesOnlyPublicEs256Keys()
    {
        using var anonymous = new HttpClient { BaseAddress = stack.WebUrl };

        var jwks = (await anonymous.GetFromJsonAsync<JsonObject>("/.well-known/jwks.json"))!;

        var key = Assert.Single(jwks["keys"]!.AsArray())!.AsObject();
        Assert.Equal("EC", (string?)key["kty"]);
        Assert.Equal("ES256", (string?)key["alg"]);
        Assert.False(key.ContainsKey("d"));
    }

    [Fact]
    public async Task RealtimeTokenIsEs256ForOneBoardAndShortLived()
    {
        using var person = await stack.RegisterAsync();
        var boardId = await person.CreateBoardAsync();

        var token = await person.GetRealtimeTokenAsync(boardId);
        var jwt = TokenForge.Read(token.AccessToken);

        Assert.Equal("ES256", jwt.Alg);
        Assert.Equal("at+jwt", jwt.Typ);
        Assert.Equal(boardId, jwt.GetClaim("board").Value);
        Assert.Equal("owner", jwt.GetClaim("role").Value);
        Assert.Equal(person.UserName, jwt.GetClaim("name").Value);
        Assert.False(string.IsNullOrEmpty(jwt.Id));
        Assert.InRange(jwt.ValidTo - jwt.IssuedAt, TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(5));
    }

    [Fact]
    public async Task CommonAndLeakedPasswordsAreRefusedAndLongOnesAccepted()
    {
        foreach (var password in new[] { "password1", "qwertyuiop", "iloveyou123" })
        {
            var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => SiteClient.RegisterAsync(stack.WebUrl, Names.NewUserName(), password));
            Assert.Contains("too easy to guess", failure.Message, StringComparison.OrdinalIgnoreCase);
        }

        var userName = Names.NewUserName();
        var containsName = await Assert.ThrowsAsync<InvalidOperationException>(() => SiteClient.RegisterAsync(stack.WebUrl, userName, $"my name is {userName}!"));
        Assert.Contains("personal", containsName.Message, StringComparison.OrdinalIgnoreCase);

        using var longPassword = await SiteClient.RegisterAsync(stack.WebUrl, Names.NewUserName(), new string('ü', 80) + " and no digits or capitals needed");
    }
}
