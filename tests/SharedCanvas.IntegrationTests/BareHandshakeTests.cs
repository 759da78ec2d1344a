using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace SharedCanvas.IntegrationTests;

/// <summary>A stack whose replicas take board sockets' upgrades on the bare connection (<c>Realtime:BareSockets</c>, off by default).</summary>
public sealed class BareSocketsFixture : StackFixture
{
    protected override void Configure(Aspire.Hosting.Testing.IDistributedApplicationTestingBuilder builder) =>
        SetEnvironment(builder, "realtime", "Realtime__BareSockets", "true");
}

/// <summary>
/// A board socket's upgrade is taken on the bare connection, ahead of the HTTP server, so that the socket keeps
/// no HTTP request (docs/protocol.md §1, docs/performance.md "Idle memory"); whatever that path does not take
/// still reaches the HTTP server, which serves the same endpoint. Driven over raw TCP, to see which of the two
/// answered: the HTTP server names itself (<c>Server: Kestrel</c>), the bare path does not.
/// </summary>
[Collection(IsolatedCollection.Name)]
public sealed class BareHandshakeTests(BareSocketsFixture stack) : IClassFixture<BareSocketsFixture>
{
    private async Task<(SiteClient Person, Uri Url, string Token)> ArrangeAsync()
    {
        var (person, _, token) = await stack.RegisterWithBoardAsync();
        return (person, new Uri(token.Url), token.AccessToken);
    }

    private string Upgrade(Uri url, string token, string key, string extraHeaders = "") =>
        $"GET {url.PathAndQuery} HTTP/1.1\r\nHost: {url.Authority}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        + $"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: {key}\r\nOrigin: {stack.WebOrigin}\r\n"
        + $"Sec-WebSocket-Protocol: sharedcanvas.v1, access_token.{token}\r\n{extraHeaders}\r\n";

    [Fact]
    public async Task AnUpgradeIsTakenOnTheBareConnectionAndTheSocketWorks()
    {
        var (person, url, token) = await ArrangeAsync();
        using var _ = person;
        var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));

        using var tcp = await RawConnection.OpenAsync(url);
        await tcp.WriteAsync(Upgrade(url, token, key));
        var head = await tcp.ReadHeadAsync();

        Assert.StartsWith("HTTP/1.1 101 ", head);
        Assert.DoesNotContain("Server:", head);
        Assert.Contains($"Sec-WebSocket-Accept: {Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")))}\r\n", head);
        Assert.Contains("Sec-WebSocket-Protocol: sharedcanvas.v1\r\n", head);
        Assert.DoesNotContain(token, head);
        await RawConnection.AssertWelcomedAsync(tcp);
    }

    [Fact]
    public async Task AHeadThatArrivesByteByByteIsTakenAlike()
    {
        var (person, url, token) = await ArrangeAsync();
        using var _ = person;

        using var tcp = await RawConnection.OpenAsync(url);
        var request = Encoding.ASCII.GetBytes(Upgrade(url, token, Convert.ToBase64String(RandomNumberGenerator.GetBytes(16))));
        for (var i = 0; i < request.Length; i += 97)
        {
            await tcp.Stream.WriteAsync(request.AsMemory(i, Math.Min(97, request.Length - i)));
            await tcp.Stream.FlushAsync();
            await Task.Delay(2);
        }

        var head = await tcp.ReadHeadAsync();
        Assert.StartsWith("HTTP/1.1 101 ", head);
        Assert.DoesNotContain("Server:", head);
        await RawConnection.AssertWelcomedAsync(tcp);
    }

    [Fact]
    public async Task ARefusalOnTheBareConnectionIsAnsweredLikeTheHttpServersAndTheConnectionClosed()
    {
        var (person, url, token) = await ArrangeAsync();
        using var _ = person;

        using var tcp = await RawConnection.OpenAsync(url);
        await tcp.WriteAsync(Upgrade(url, token + "x", Convert.ToBase64String(RandomNumberGenerator.GetBytes(16))));
        var head = await tcp.ReadHeadAsync();

        Assert.StartsWith("HTTP/1.1 401 ", head);
        Assert.DoesNotContain("Server:", head);
        Assert.Contains("WWW-Authenticate: Bearer error=\"invalid_token\"\r\n", head);
        Assert.Equal(0, await tcp.Stream.ReadAsync(new byte[1]).AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task WhatTheBareConnectionDoesNotTakeTheHttpServerServes()
    {
        var (person, url, token) = await ArrangeAsync();
        using var _ = person;

        // A request before the upgrade on the same connection: the upgrade is the HTTP server's, and it works.
        using (var tcp = await RawConnection.OpenAsync(url))
        {
            await tcp.WriteAsync($"GET /health HTTP/1.1\r\nHost: {url.Authority}\r\n\r\n");
            var health = await tcp.ReadHeadAsync();
            Assert.StartsWith("HTTP/1.1 200 ", health);
            await tcp.SkipBodyAsync(health);
            await tcp.WriteAsync(Upgrade(url, token, Convert.ToBase64String(RandomNumberGenerator.GetBytes(16))));
            var head = await tcp.ReadHeadAsync();
            Assert.StartsWith("HTTP/1.1 101 ", head);
            Assert.Contains("Server: Kestrel", head);
            await RawConnection.AssertWelcomedAsync(tcp);
        }

        // Heads the bare path leaves alone: each answered by the HTTP server, as before.
        foreach (var (request, status) in new[]
        {
            // Not an upgrade.
            ($"GET {url.PathAndQuery} HTTP/1.1\r\nHost: {url.Authority}\r\n\r\n", "400"),
            // Two Origins: the HTTP server joins them, and the admission refuses that as foreign.
            (Upgrade(url, token, Convert.ToBase64String(RandomNumberGenerator.GetBytes(16)), "Origin: https://evil.example\r\n"), "403"),
            // A key that is not 16 bytes.
            (Upgrade(url, token, "c2hvcnQ="), "400"),
        })
        {
            using var tcp = await RawConnection.OpenAsync(url);
            await tcp.WriteAsync(request);
            var head = await tcp.ReadHeadAsync();
            Assert.StartsWith($"HTTP/1.1 {status} ", head);
            Assert.Contains("Server: Kestrel", head);
        }
    }

    /// <summary>A TCP connection to the realtime service, read one response head at a time.</summary>
    private sealed class RawConnection : IDisposable
    {
        private readonly TcpClient _client;

        private RawConnection(TcpClient client)
        {
            _client = client;
            Stream = client.GetStream();
        }

        public NetworkStream Stream { get; }

        public static async Task<RawConnection> OpenAsync(Uri url)
        {
            var client = new TcpClient { NoDelay = true };
            await client.ConnectAsync(url.Host, url.Port);
            return new RawConnection(client);
        }

        public async Task WriteAsync(string text)
        {
            await Stream.WriteAsync(Encoding.ASCII.GetBytes(text));
            await Stream.FlushAsync();
        }

        /// <summary>The response head, read a byte at a time so that nothing after it is taken.</summary>
        public async Task<string> ReadHeadAsync()
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            var head = new StringBuilder();
            var one = new byte[1];
            while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
            {
                if (await Stream.ReadAsync(one, timeout.Token) == 0)
                {
                    throw new IOException($"the connection closed after {head}");
                }

                head.Append((char)one[0]);
            }

            return head.ToString();
        }

        /// <summary>Reads past a response's body: by its length, or chunk by chunk.</summary>
        public async Task SkipBodyAsync(string head)
        {
            var lines = head.Split("\r\n");
            if (lines.FirstOrDefault(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase)) is { } length)
            {
                await Stream.ReadExactlyAsync(new byte[int.Parse(length[15..].Trim())]);
                return;
            }

            while (true)
            {
                var size = Convert.ToInt32((await ReadLineAsync()).Split(';')[0], 16);
                await Stream.ReadExactlyAsync(new byte[size + 2]);
                if (size == 0)
                {
                    return;
                }
            }
        }

        private async Task<string> ReadLineAsync()
        {
            var line = new StringBuilder();
            var one = new byte[1];
            while (!line.ToString().EndsWith("\r\n", StringComparison.Ordinal))
            {
                await Stream.ReadExactlyAsync(one);
                line.Append((char)one[0]);
            }

            return line.ToString()[..^2];
        }

        /// <summary>The socket that follows the head says welcome, as every board socket does first.</summary>
        public static async Task AssertWelcomedAsync(RawConnection tcp)
        {
            using var socket = WebSocket.CreateFromStream(tcp.Stream, new WebSocketCreationOptions { IsServer = false, SubProtocol = "sharedcanvas.v1" });
            var buffer = new byte[64 * 1024];
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            var length = 0;
            ValueWebSocketReceiveResult received;
            do
            {
                received = await socket.ReceiveAsync(buffer.AsMemory(length), timeout.Token);
                length += received.Count;
            }
            while (!received.EndOfMessage);

            Assert.Equal(WebSocketMessageType.Text, received.MessageType);
            var message = JsonNode.Parse(buffer.AsSpan(0, length))!;
            Assert.Equal("welcome", (string?)message["type"]);
        }

        public void Dispose() => _client.Dispose();
    }
}
