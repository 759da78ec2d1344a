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
/// Withdrawn access, the second weakness of the outside security test (docs/security.md, "Withdrawn access"):
/// a token handed out before a member was removed, a role changed, a sign-out everywhere, an account or a
/// board deleted is refused at the handshake, on renewal and by the append script, on every replica.
/// </summary>
public sealed partial class HostileInputTests
{
    // ---- 2. Withdrawn access is withdrawn for tokens already handed out ----

    private Task<HttpStatusCode> HandshakeAsync(RealtimeToken token) =>
        BoardSocket.HandshakeStatusAsync(token.Url, token.AccessToken, stack.WebOrigin);

    [Fact]
    public Task ATokenObtainedBeforeRemovalNeitherOpensASocketNorRenewsOne() => UnderAttackAsync(async () =>
    {
        using var member = await stack.RegisterAsync();
        var link = await stack.Ada.CreateShareLinkAsync(stack.BoardId, "editor");
        (await member.AcceptShareLinkAsync(link)).Dispose();
        var before = await member.GetRealtimeTokenAsync(stack.BoardId);
        await using var open = await BoardSocket.ConnectAsync(await member.GetRealtimeTokenAsync(stack.BoardId), stack.WebOrigin);
        await open.JoinAsync();

        await stack.Ada.RemoveMemberAsync(stack.BoardId, member);

        Assert.Equal((WebSocketCloseStatus)4403, await open.WaitForCloseAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, await HandshakeAsync(before));

        // Let back in through the link (it still works): the token from before still renews nothing.
        (await member.AcceptShareLinkAsync(link)).Dispose();
        await using var again = await BoardSocket.ConnectAsync(await member.GetRealtimeTokenAsync(stack.BoardId), stack.WebOrigin);
        await again.JoinAsync();
        await again.SendAsync(new JsonObject { ["type"] = "auth", ["token"] = before.AccessToken });
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, await again.WaitForCloseAsync());
    });

    [Fact]
    public Task ATokenObtainedBeforeTheRoleWasLoweredIsRefusedAndTheOpenSocketMustRenew() => UnderAttackAsync(async () =>
    {
        using var member = await stack.RegisterAsync();
        await stack.Ada.ShareWithAsync(stack.BoardId, member, "editor");
        var before = await member.GetRealtimeTokenAsync(stack.BoardId);
        await using var open = await BoardSocket.ConnectAsync(await member.GetRealtimeTokenAsync(stack.BoardId), stack.WebOrigin);
        await open.JoinAsync();

        using (var lowered = await stack.Ada.ApiAsync(HttpMethod.Patch,
            $"/api/boards/{stack.BoardId}/members/{await stack.Ada.MemberIdAsync(stack.BoardId, member)}", new { role = "viewer" }))
        {
            Assert.Equal(HttpStatusCode.OK, lowered.StatusCode);
        }

        Assert.Equal((WebSocketCloseStatus)4401, await open.WaitForCloseAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, await HandshakeAsync(before));
        var after = await member.GetRealtimeTokenAsync(stack.BoardId);
        Assert.Equal("viewer", TokenForge.Read(after.AccessToken).GetClaim("role").Value);
        Assert.Equal(HttpStatusCode.SwitchingProtocols, await HandshakeAsync(after));
    });

    [Fact]
    public Task TokensObtainedBeforeSigningOutEverywhereAreRefusedTheApiTokenToo() => UnderAttackAsync(async () =>
    {
        using var person = await stack.RegisterAsync();
        var board = await person.CreateBoardAsync();
        var before = await person.GetRealtimeTokenAsync(board);
        using var api = new ApiClient(stack.WebUrl);
        await api.SignInAsync(person.UserName, Names.Password);

        using (var signOut = await person.PostFormAsync("/account?handler=SignOutEverywhere", []))
        {
            Assert.Equal(HttpStatusCode.Redirect, signOut.StatusCode);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, await HandshakeAsync(before));
        using var boards = await api.Http.GetAsync("/api/boards");
        Assert.Equal(HttpStatusCode.Unauthorized, boards.StatusCode);
        using var minted = await api.Http.PostAsync($"/api/boards/{board}/realtime-token", null);
        Assert.Equal(HttpStatusCode.Unauthorized, minted.StatusCode);
    });

    [Fact]
    public Task ATokenObtainedBeforeTheAccountWasDeletedIsRefused() => UnderAttackAsync(async () =>
    {
        using var person = await stack.RegisterAsync();
        await stack.Ada.ShareWithAsync(stack.BoardId, person, "editor");
        var before = await person.GetRealtimeTokenAsync(stack.BoardId);

        using (var delete = await person.PostFormAsync("/account?handler=Delete", new() { ["DeletePassword"] = Names.Password }))
        {
            Assert.Equal(HttpStatusCode.Redirect, delete.StatusCode);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, await HandshakeAsync(before));
    });

    [Fact]
    public Task ATokenObtainedBeforeTheBoardWasDeletedIsRefusedAndNothingRecreatesTheBoard() => UnderAttackAsync(async () =>
    {
        using var person = await stack.RegisterAsync();
        var board = await person.CreateBoardAsync();
        RealtimeToken before;
        await using (var socket = await BoardSocket.ConnectAsync(await person.GetRealtimeTokenAsync(board), stack.WebOrigin))
        {
            await socket.JoinAsync();
            var n = await socket.SendOpAsync(Ops.AddPen("soon-gone", 1, 1));
            await socket.WaitForAsync(m => IsAck(m, n));
            before = await person.GetRealtimeTokenAsync(board);

            using (var delete = await person.ApiAsync(HttpMethod.Delete, $"/api/boards/{board}"))
            {
                Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
            }

            Assert.Equal((WebSocketCloseStatus)4404, await socket.WaitForCloseAsync());
            Assert.Equal(HttpStatusCode.Unauthorized, await HandshakeAsync(before));
        }

        // In the trash its drawing waits for a restore; deleted for good, the log is gone and stays gone: no
        // sequence number restarts at 1.
        using (var purge = await person.ApiAsync(HttpMethod.Delete, $"/api/trash/{board}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, purge.StatusCode);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, await HandshakeAsync(before));
        await using var redis = await ConnectionMultiplexer.ConnectAsync((await stack.App.GetConnectionStringAsync("redis"))!);
        var db = redis.GetDatabase();
        await WaitUntilAsync(() => !db.KeyExists($"sc:{{{board}}}:log"), "the deleted board's log is still in Redis");
        Assert.False(await db.KeyExistsAsync($"sc:{{{board}}}:seq"));
    });
}
