using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;

namespace SharedCanvas.IntegrationTests;

/// <summary>
/// Private boards, sharing by role through links, revocation and deletion reaching open sockets; on each
/// database engine (<see cref="SharingTests"/>, <see cref="SharingOnDistributedTopologyTests"/>).
/// </summary>
public abstract class SharingScenarios(StackFixture stack)
{
    [Fact]
    public async Task BoardDoesNotExistForSomeoneItWasNotSharedWith()
    {
        using var ada = await stack.RegisterAsync();
        using var eve = await stack.RegisterAsync();
        var boardId = await ada.CreateBoardAsync();

        using var page = await eve.Http.GetAsync($"/boards/{boardId}");
        using var token = await eve.ApiAsync(HttpMethod.Post, $"/api/boards/{boardId}/realtime-token");
        var list = await eve.Http.GetFromJsonAsync<JsonArray>("/api/boards");

        Assert.Equal(HttpStatusCode.NotFound, page.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, token.StatusCode);
        Assert.DoesNotContain(list!, b => (string?)b!["id"] == boardId);
    }

    [Fact]
    public async Task ViewerLinkGivesAViewerTokenAndTheServerRefusesTheirWrites()
    {
        using var ada = await stack.RegisterAsync();
        using var ben = await stack.RegisterAsync();
        var boardId = await ada.CreateBoardAsync();
        await ada.ShareWithAsync(boardId, ben, "viewer");

        var shared = await ben.Http.GetFromJsonAsync<JsonArray>("/api/boards");
        Assert.Contains(shared!, b => (string?)b!["id"] == boardId && (string?)b["role"] == "viewer");
        var token = await ben.GetRealtimeTokenAsync(boardId);
        Assert.Equal("viewer", TokenForge.Read(token.AccessToken).GetClaim("role").Value);

        await using var adaSocket = await BoardSocket.ConnectAsync(await ada.GetRealtimeTokenAsync(boardId), stack.WebOrigin);
        await adaSocket.JoinAsync();
        await using var benSocket = await BoardSocket.ConnectAsync(token, stack.WebOrigin);
        await benSocket.JoinAsync();
        for (var i = 0; i < 3; i++)
        {
            await benSocket.SendOpAsync(Ops.AddPen($"forged-{i}", 1, 1));
        }

        var refusal = await benSocket.WaitForAsync(m => BoardSocket.Type(m) == "error");
        Assert.Equal("forbidden", (string?)refusal["code"]);
        Assert.Equal((WebSocketCloseStatus)4403, await benSocket.WaitForCloseAsync());
        await adaSocket.SendAsync(new JsonObject { ["type"] = "ping", ["t"] = 1 });
        await adaSocket.WaitForAsync(m => BoardSocket.Type(m) == "pong");
        Assert.DoesNotContain(adaSocket.Received, m => BoardSocket.Type(m) == "op");
    }

    [Fact]
    public async Task OnlyTheOwnerManagesTheBoardAndClearsIt()
    {
        using var ada = await stack.RegisterAsync();
        using var ben = await stack.RegisterAsync();
        var boardId = await ada.CreateBoardAsync();
        await ada.ShareWithAsync(boardId, ben, "editor");

        using var rename = await ben.ApiAsync(HttpMethod.Patch, $"/api/boards/{boardId}", new { name = "mine now" });
        using var delete = await ben.ApiAsync(HttpMethod.Delete, $"/api/boards/{boardId}");
        using var link = await ben.ApiAsync(HttpMethod.Post, $"/api/boards/{boardId}/links", new { role = "editor" });
        Assert.Equal(HttpStatusCode.Forbidden, rename.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, delete.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, link.StatusCode);

        await using var benSocket = await BoardSocket.ConnectAsync(await ben.GetRealtimeTokenAsync(boardId), stack.WebOrigin);
        await benSocket.JoinAsync();
        await benSocket.SendOpAsync(new JsonObject { ["k"] = "clear" });
        Assert.Equal("forbidden", (string?)(await benSocket.WaitForAsync(m => BoardSocket.Type(m) == "error"))["code"]);

        await using var adaSocket = await BoardSocket.ConnectAsync(await ada.GetRealtimeTokenAsync(boardId), stack.WebOrigin);
        await adaSocket.JoinAsync();
        await adaSocket.SendOpAsync(new JsonObject { ["k"] = "clear" });
        await adaSocket.WaitForAsync(m => BoardSocket.Type(m) == "ack");
    }

    [Fact]
    public async Task RenamedBoardShowsItsNewNameToEveryone()
    {
        using var ada = await stack.RegisterAsync();
        using var ben = await stack.RegisterAsync();
        var boardId = await ada.CreateBoardAsync("Old name");
        await ada.ShareWithAsync(boardId, ben, "viewer");

        using var rename = await ada.ApiAsync(HttpMethod.Patch, $"/api/boards/{boardId}", new { name = "New name" });
        rename.EnsureSuccessStatusCode();

        var list = await ben.Http.GetFromJsonAsync<JsonArray>("/api/boards");
        Assert.Contains(list!, b => (string?)b!["id"] == boardId && (string?)b["name"] == "New name");
        Assert.Contains("New name", await ben.Http.GetStringAsync($"/boards/{boardId}"));
    }

    [Fact]
    public async Task RevokedLinkStopsWorkingButPeopleWhoJoinedKeepAccess()
    {
        using var ada = await stack.RegisterAsync();
        using var ben = await stack.RegisterAsync();
        using var cat = await stack.RegisterAsync();
        var boardId = await ada.CreateBoardAsync();
        var linkId = await ada.CreateShareLinkAsync(boardId, "editor");
        using (var joined = await ben.AcceptShareLinkAsync(linkId))
        {
            Assert.Equal(HttpStatusCode.Redirect, joined.StatusCode);
        }

        using var revoke = await ada.ApiAsync(HttpMethod.Delete, $"/api/boards/{boardId}/links/{linkId}");
        Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);

        using var late = await cat.Http.GetAsync($"/share/{linkId}");
        Assert.Equal(HttpStatusCode.NotFound, late.StatusCode);
        using var catToken = await cat.ApiAsync(HttpMethod.Post, $"/api/boards/{boardId}/realtime-token");
        Assert.Equal(HttpStatusCode.NotFound, catToken.StatusCode);
        Assert.NotNull(await ben.GetRealtimeTokenAsync(boardId));
    }

    [Fact]
    public async Task RemovingSomeoneClosesTheirOpenSocketsWith4403AndRefusesThemNewTokens()
    {
        using var ada = await stack.RegisterAsync();
        using var ben = await stack.RegisterAsync();
        var boardId = await ada.CreateBoardAsync();
        await ada.ShareWithAsync(boardId, ben, "editor");
        await using var benSocket = await BoardSocket.ConnectAsync(await ben.GetRealtimeTokenAsync(boardId), stack.WebOrigin);
        await benSocket.JoinAsync();
        var members = await ada.Http.GetFromJsonAsync<JsonArray>($"/api/boards/{boardId}/members");
        var benId = (string)members!.Single()!["userId"]!;

        using var remove = await ada.ApiAsync(HttpMethod.Delete, $"/api/boards/{boardId}/members/{benId}");

        Assert.Equal(HttpStatusCode.NoContent, remove.StatusCode);
        Assert.Equal((WebSocketCloseStatus)4403, await benSocket.WaitForCloseAsync());
        using var token = await ben.ApiAsync(HttpMethod.Post, $"/api/boards/{boardId}/realtime-token");
        Assert.Equal(HttpStatusCode.NotFound, token.StatusCode);
    }

    [Fact]
    public async Task DeletingABoardClosesItsSocketsWith4404AndDeletingItForGoodRemovesItsDrawing()
    {
        using var ada = await stack.RegisterAsync();
        var boardId = await ada.CreateBoardAsync();
        await using var socket = await BoardSocket.ConnectAsync(await ada.GetRealtimeTokenAsync(boardId), stack.WebOrigin);
        await socket.JoinAsync();
        await socket.SendOpAsync(Ops.AddPen("doomed", 1, 1));
        await socket.WaitForAsync(m => BoardSocket.Type(m) == "ack");

        using var delete = await ada.ApiAsync(HttpMethod.Delete, $"/api/boards/{boardId}");

        Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        Assert.Equal((WebSocketCloseStatus)4404, await socket.WaitForCloseAsync());
        using var page = await ada.Http.GetAsync($"/boards/{boardId}");
        Assert.Equal(HttpStatusCode.NotFound, page.StatusCode);
        using var purge = await ada.ApiAsync(HttpMethod.Delete, $"/api/trash/{boardId}");
        Assert.Equal(HttpStatusCode.NoContent, purge.StatusCode);
        var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync((await Aspire.Hosting.Testing.DistributedApplicationHostingTestingExtensions.GetConnectionStringAsync(stack.App, "redis"))!);
        await using var _ = redis;
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (await redis.GetDatabase().KeyExistsAsync($"sc:{{{boardId}}}:log") && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        Assert.False(await redis.GetDatabase().KeyExistsAsync($"sc:{{{boardId}}}:log"));
    }

    [Fact]
    public async Task ABoardInTheTrashComesBackWholeUntilItsDaysAreOverThenItIsDeletedForGood()
    {
        using var ada = await stack.RegisterAsync();
        using var ben = await stack.RegisterAsync();
        var boardId = await ada.CreateBoardAsync();
        await ada.ShareWithAsync(boardId, ben, "editor");
        await using (var socket = await BoardSocket.ConnectAsync(await ben.GetRealtimeTokenAsync(boardId), stack.WebOrigin))
        {
            await socket.JoinAsync();
            await socket.SendOpAsync(Ops.AddPen("kept-through-the-trash", 1, 1));
            await socket.WaitForAsync(m => BoardSocket.Type(m) == "ack");
            using var trash = await ada.ApiAsync(HttpMethod.Delete, $"/api/boards/{boardId}");
            Assert.Equal(HttpStatusCode.NoContent, trash.StatusCode);
            Assert.Equal((WebSocketCloseStatus)4404, await socket.WaitForCloseAsync());
        }

        // In the trash the board exists for no one: no page, no token, in no list; only its owner's trash shows it.
        using (var token = await ben.ApiAsync(HttpMethod.Post, $"/api/boards/{boardId}/realtime-token"))
        {
            Assert.Equal(HttpStatusCode.NotFound, token.StatusCode);
        }

        using (var page = await ada.Http.GetAsync($"/boards/{boardId}"))
        {
            Assert.Equal(HttpStatusCode.NotFound, page.StatusCode);
        }

        Assert.DoesNotContain((await ben.Http.GetFromJsonAsync<JsonArray>("/api/boards"))!, b => (string?)b!["id"] == boardId);
        Assert.Empty((await ben.Http.GetFromJsonAsync<JsonArray>("/api/trash"))!);
        using (var byBen = await ben.ApiAsync(HttpMethod.Post, $"/api/trash/{boardId}/restore"))
        {
            Assert.Equal(HttpStatusCode.NotFound, byBen.StatusCode);
        }

        var entry = (await ada.Http.GetFromJsonAsync<JsonArray>("/api/trash"))!.Single(b => (string?)b!["id"] == boardId)!;
        Assert.Equal(TimeSpan.FromDays(30), (DateTime)entry["purgeAt"]! - (DateTime)entry["deletedAt"]!);

        // Restored, it is whole: Ben is still an editor and the drawing is there.
        using (var restore = await ada.ApiAsync(HttpMethod.Post, $"/api/trash/{boardId}/restore"))
        {
            Assert.Equal(HttpStatusCode.OK, restore.StatusCode);
        }

        await using (var socket = await BoardSocket.ConnectAsync(await ben.GetRealtimeTokenAsync(boardId), stack.WebOrigin))
        {
            await socket.JoinAsync();
            Assert.Contains(socket.Received, m => m.ToJsonString().Contains("kept-through-the-trash", StringComparison.Ordinal));
            var n = await socket.SendOpAsync(Ops.AddPen("after-the-restore", 2, 2));
            await socket.WaitForAsync(m => BoardSocket.Type(m) == "ack" && (long?)m["n"] == n && m["seq"] is not null);
        }

        // Back in the trash, and 31 days later by its date: the site deletes it for good, drawing and all.
        using (var again = await ada.ApiAsync(HttpMethod.Delete, $"/api/boards/{boardId}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, again.StatusCode);
        }

        await using (var web = await stack.OpenWebDatabaseAsync())
        {
            var aged = await web.Boards.IgnoreQueryFilters().Where(b => b.Id == boardId)
                .ExecuteUpdateAsync(b => b.SetProperty(x => x.DeletedAt, DateTime.UtcNow.AddDays(-31)));
            Assert.Equal(1, aged);
        }

        var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync((await Aspire.Hosting.Testing.DistributedApplicationHostingTestingExtensions.GetConnectionStringAsync(stack.App, "redis"))!);
        await using var _ = redis;
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (await redis.GetDatabase().KeyExistsAsync($"sc:{{{boardId}}}:log") && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
        }

        Assert.False(await redis.GetDatabase().KeyExistsAsync($"sc:{{{boardId}}}:log"), "the expired board's drawing is still in Redis");
        Assert.Empty((await ada.Http.GetFromJsonAsync<JsonArray>("/api/trash"))!);
        using var gone = await ada.ApiAsync(HttpMethod.Post, $"/api/trash/{boardId}/restore");
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
    }
}

[Collection(StackCollection.Name)]
public sealed class SharingTests(StackFixture stack) : SharingScenarios(stack);

[Collection(DistributedCollection.Name)]
public sealed class SharingOnDistributedTopologyTests(DistributedStackFixture stack) : SharingScenarios(stack);
