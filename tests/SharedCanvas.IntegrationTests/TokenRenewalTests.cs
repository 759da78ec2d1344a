using System.Net.WebSockets;
using System.Text.Json.Nodes;

namespace SharedCanvas.IntegrationTests;

/// <summary>In-band token renewal on an open socket (docs/protocol.md §4.4).</summary>
[Collection(StackCollection.Name)]
public sealed class TokenRenewalTests(StackFixture stack)
{
    [Fact]
    public async Task FreshTokenForTheSameUserAndBoardRenewsTheSocketInBand()
    {
        using var person = await stack.RegisterAsync();
        var boardId = await person.CreateBoardAsync();
        await using var socket = await BoardSocket.ConnectAsync(await person.GetRealtimeTokenAsync(boardId), stack.WebOrigin);
        await socket.JoinAsync();

        var fresh = await person.GetRealtimeTokenAsync(boardId);
        await socket.SendAsync(new JsonObject { ["type"] = "auth", ["token"] = fresh.AccessToken });

        var ok = await socket.WaitForAsync(m => BoardSocket.Type(m) == "auth.ok");
        Assert.Equal(fresh.ExpiresAt.ToUnixTimeSeconds(), (long)ok["expiresAt"]!);
        await socket.SendOpAsync(Ops.AddPen("r-1", 1, 1));
        await socket.WaitForAsync(m => BoardSocket.Type(m) == "ack");
    }

    [Fact]
    public async Task RenewalWithATokenForAnotherBoardClosesTheSocketWith1008()
    {
        using var person = await stack.RegisterAsync();
        var boardId = await person.CreateBoardAsync();
        var otherBoard = await person.CreateBoardAsync();
        await using var socket = await BoardSocket.ConnectAsync(await person.GetRealtimeTokenAsync(boardId), stack.WebOrigin);
        await socket.JoinAsync();

        await socket.SendAsync(new JsonObject { ["type"] = "auth", ["token"] = (await person.GetRealtimeTokenAsync(otherBoard)).AccessToken });

        Assert.Equal(WebSocketCloseStatus.PolicyViolation, await socket.WaitForCloseAsync());
    }

    [Fact]
    public async Task RenewalWithAnotherUsersTokenClosesTheSocketWith1008()
    {
        using var ada = await stack.RegisterAsync();
        using var ben = await stack.RegisterAsync();
        var boardId = await ada.CreateBoardAsync();
        await ada.ShareWithAsync(boardId, ben);
        await using var socket = await BoardSocket.ConnectAsync(await ada.GetRealtimeTokenAsync(boardId), stack.WebOrigin);
        await socket.JoinAsync();

        await socket.SendAsync(new JsonObject { ["type"] = "auth", ["token"] = (await ben.GetRealtimeTokenAsync(boardId)).AccessToken });

        Assert.Equal(WebSocketCloseStatus.PolicyViolation, await socket.WaitForCloseAsync());
    }
}

/// <summary>A stack whose tokens live 30 s and whose realtime service allows no clock skew, so expiry can be watched.</summary>
public sealed class ShortLivedTokensFixture : StackFixture
{
    protected override void Configure(Aspire.Hosting.Testing.IDistributedApplicationTestingBuilder builder)
    {
        SetEnvironment(builder, "web", "Auth__AccessTokenLifetime", "00:00:30");
        SetEnvironment(builder, "realtime", "Auth__ClockSkew", "00:00:00");
    }
}

[Collection(IsolatedCollection.Name)]
public sealed class TokenExpiryTests(ShortLivedTokensFixture stack) : IClassFixture<ShortLivedTokensFixture>
{
    [Fact]
    public async Task ExpiredTokenIsRefusedAtTheHandshakeAndOnTheNextMessageButRenewedSocketsLive()
    {
        using var person = await stack.RegisterAsync();
        var boardId = await person.CreateBoardAsync();
        var token = await person.GetRealtimeTokenAsync(boardId);
        await using var lapsing = await BoardSocket.ConnectAsync(token, stack.WebOrigin);
        await lapsing.JoinAsync();
        await using var renewed = await BoardSocket.ConnectAsync(await person.GetRealtimeTokenAsync(boardId), stack.WebOrigin);
        await renewed.JoinAsync();

        // Some seconds later the second socket renews, so its new token outlives the first one.
        await Task.Delay(TimeSpan.FromSeconds(5));
        await renewed.SendAsync(new JsonObject { ["type"] = "auth", ["token"] = (await person.GetRealtimeTokenAsync(boardId)).AccessToken });
        await renewed.WaitForAsync(m => BoardSocket.Type(m) == "auth.ok");

        // Wait until the first token has expired (it was issued before the renewed one).
        var wait = token.ExpiresAt - DateTimeOffset.UtcNow + TimeSpan.FromSeconds(1.5);
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait);
        }

        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, await BoardSocket.HandshakeStatusAsync(token.Url, token.AccessToken, stack.WebOrigin));
        Assert.Equal((WebSocketCloseStatus)4401, await lapsing.WaitForCloseAsync());

        await renewed.SendOpAsync(Ops.AddPen("still-here", 1, 1));
        await renewed.WaitForAsync(m => BoardSocket.Type(m) == "ack");
    }
}
