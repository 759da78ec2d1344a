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

/// <summary>The hostile suite, part: refresh tokens, and the site's own pages and APIs.</summary>
public sealed partial class HostileInputTests
{
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
