using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using SharedCanvas.Realtime.Apis;

namespace SharedCanvas.Testing;

/// <summary>
/// A realtime client speaking protocol v1 (docs/protocol.md) over a real WebSocket, recording every
/// message it receives, in order, for tests to wait on and inspect. It accepts batches (several
/// messages in one frame, §2) unless told otherwise, and records each batched message on its own.
/// </summary>
public sealed class BoardSocket : IAsyncDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(15);

    private readonly ClientWebSocket _socket;
    private readonly List<JsonObject> _received = [];
    private readonly Channel<JsonObject> _arrivals = Channel.CreateUnbounded<JsonObject>();
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly Task _receiving;
    private long _nextN = 1;
    private int _cursor;
    private int _frames;
    private int _arrayFrames;

    private BoardSocket(ClientWebSocket socket, string clientId)
    {
        _socket = socket;
        ClientId = clientId;
        _receiving = ReceiveLoopAsync();
    }

    public string ClientId { get; }

    /// <summary>The <c>welcome</c> message (after <see cref="JoinAsync"/>).</summary>
    public JsonObject? Welcome { get; private set; }

    public string UserId => (string)Welcome!["me"]!["user"]!;

    public WebSocketCloseStatus? CloseStatus => _socket.CloseStatus;

    public string? CloseDescription => _socket.CloseStatusDescription;

    public Task Closed => _closed.Task;

    /// <summary>Text frames received so far.</summary>
    public int Frames => Volatile.Read(ref _frames);

    /// <summary>Frames that held an array of messages (a batch).</summary>
    public int ArrayFrames => Volatile.Read(ref _arrayFrames);

    public IReadOnlyList<JsonObject> Received
    {
        get
        {
            lock (_received)
            {
                return [.. _received];
            }
        }
    }

    public static async Task<BoardSocket> ConnectAsync(RealtimeToken token, string? origin = null, string? clientId = null)
    {
        var socket = new ClientWebSocket();
        if (origin is not null)
        {
            socket.Options.SetRequestHeader("Origin", origin);
        }

        using var timeout = new CancellationTokenSource(DefaultTimeout);
        await socket.ConnectAsync(Authorize(socket, token.Url, token.AccessToken), timeout.Token);
        return new BoardSocket(socket, clientId ?? NewClientId());
    }

    /// <summary>
    /// A bare socket, connected the way the board page connects, with small buffers, that reads nothing
    /// unless the test reads it: the slow or silent reader of the tests that need one.
    /// </summary>
    public static async Task<ClientWebSocket> ConnectUnreadAsync(RealtimeToken token, string origin)
    {
        var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Origin", origin);
        socket.Options.SetBuffer(1024, 1024);
        await socket.ConnectAsync(Authorize(socket, token.Url, token.AccessToken), SmallReceiveWindow, CancellationToken.None);
        return socket;
    }

    /// <summary>
    /// Connections whose kernel receive buffer is fixed at 64 KB. A socket that stops reading then holds only
    /// that much: left to autotuning, the loopback's buffer may grow towards tcp_rmem's maximum (32 MB here),
    /// so how much a "never reads" socket swallowed before the server saw it as slow was left to the kernel.
    /// </summary>
    private static readonly HttpMessageInvoker SmallReceiveWindow = new(new SocketsHttpHandler
    {
        ConnectCallback = async (context, cancellationToken) =>
        {
            var tcp = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp)
            {
                NoDelay = true,
                ReceiveBufferSize = 64 * 1024,
            };
            try
            {
                await tcp.ConnectAsync(context.DnsEndPoint, cancellationToken);
                return new System.Net.Sockets.NetworkStream(tcp, ownsSocket: true);
            }
            catch
            {
                tcp.Dispose();
                throw;
            }
        },
    });

    /// <summary>
    /// Prepares a handshake the way the board page makes it: the token offered as a subprotocol
    /// (<c>access_token.{JWT}</c>) next to the protocol's name, the URL without it (protocol §1). Returns the
    /// URL to connect to.
    /// </summary>
    public static Uri Authorize(ClientWebSocket socket, string url, string accessToken)
    {
        socket.Options.AddSubProtocol(BoardSocketApi.Subprotocol);
        socket.Options.AddSubProtocol(BoardSocketApi.TokenSubprotocolPrefix + accessToken);
        return new Uri(url);
    }

    /// <summary>The subprotocol the server selected (never the token's entry).</summary>
    public string? SelectedSubprotocol => _socket.SubProtocol;

    /// <summary>Tries a handshake and returns the HTTP status it got (101 when the socket opened).</summary>
    public static async Task<HttpStatusCode> HandshakeStatusAsync(string url, string? accessToken, string? origin = null, bool tokenInQuery = false)
    {
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        if (origin is not null)
        {
            socket.Options.SetRequestHeader("Origin", origin);
        }

        var uri = accessToken is null ? new Uri(url)
            : tokenInQuery ? new Uri($"{url}?access_token={Uri.EscapeDataString(accessToken)}")
            : Authorize(socket, url, accessToken);
        try
        {
            using var timeout = new CancellationTokenSource(DefaultTimeout);
            await socket.ConnectAsync(uri, timeout.Token);
            socket.Abort();
            return HttpStatusCode.SwitchingProtocols;
        }
        catch (WebSocketException)
        {
            return socket.HttpStatusCode;
        }
    }

    public static string NewClientId() => "t" + Guid.NewGuid().ToString("N")[..15];

    /// <summary>
    /// Waits for <c>welcome</c>, says hello (accepting batches unless <paramref name="batch"/> is false),
    /// and waits for <c>synced</c>. Returns the replayed operations.
    /// </summary>
    public async Task<IReadOnlyList<JsonObject>> JoinAsync(long? since = null, bool batch = true)
    {
        Welcome = await WaitForAsync(m => Type(m) == "welcome");
        var hello = new JsonObject { ["type"] = "hello", ["client"] = ClientId };
        if (batch)
        {
            hello["batch"] = true;
        }

        if (since is { } s)
        {
            hello["since"] = s;
        }

        await SendAsync(hello);
        var start = _cursor;
        await WaitForAsync(m => Type(m) == "synced");
        var all = Received;
        return [.. all.Skip(start).Where(m => Type(m) == "op")];
    }

    /// <summary>Sends one operation with the next operation number; returns that number.</summary>
    public async Task<long> SendOpAsync(JsonObject op, string? traceParent = null)
    {
        var n = Interlocked.Increment(ref _nextN) - 1;
        await SendOpAsync(n, op, traceParent);
        return n;
    }

    public Task SendOpAsync(long n, JsonObject op, string? traceParent = null)
    {
        var message = new JsonObject { ["type"] = "op", ["n"] = n, ["op"] = op.DeepClone() };
        if (traceParent is not null)
        {
            message["tp"] = traceParent;
        }

        return SendAsync(message);
    }

    public Task SendAsync(JsonObject message) => SendTextAsync(message.ToJsonString());

    public async Task SendTextAsync(string text)
    {
        await SendBytesAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text);
    }

    public async Task SendBytesAsync(ReadOnlyMemory<byte> bytes, WebSocketMessageType type, bool endOfMessage = true)
    {
        await _sendLock.WaitAsync();
        try
        {
            await _socket.SendAsync(bytes, type, endOfMessage, CancellationToken.None);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>The next message (after those already waited for) that matches.</summary>
    public async Task<JsonObject> WaitForAsync(Func<JsonObject, bool> predicate, TimeSpan? timeout = null)
    {
        using var cancel = new CancellationTokenSource(timeout ?? DefaultTimeout);
        while (true)
        {
            lock (_received)
            {
                for (; _cursor < _received.Count; _cursor++)
                {
                    if (predicate(_received[_cursor]))
                    {
                        return _received[_cursor++];
                    }
                }
            }

            bool open;
            try
            {
                open = await _arrivals.Reader.WaitToReadAsync(cancel.Token);
                while (_arrivals.Reader.TryRead(out _))
                {
                }
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"No matching message within {timeout ?? DefaultTimeout}; close status {CloseStatus}; last: {Received.LastOrDefault()?.ToJsonString()}");
            }

            if (!open)
            {
                lock (_received)
                {
                    for (; _cursor < _received.Count; _cursor++)
                    {
                        if (predicate(_received[_cursor]))
                        {
                            return _received[_cursor++];
                        }
                    }
                }

                throw new InvalidOperationException($"The socket closed ({CloseStatus} {CloseDescription}) before a matching message arrived.");
            }
        }
    }

    /// <summary>Waits until the server closes the socket; returns its close code.</summary>
    public async Task<WebSocketCloseStatus?> WaitForCloseAsync(TimeSpan? timeout = null)
    {
        await _closed.Task.WaitAsync(timeout ?? DefaultTimeout);
        return CloseStatus;
    }

    public static string? Type(JsonObject message) => (string?)message["type"];

    private async Task ReceiveLoopAsync()
    {
        var buffer = new byte[64 * 1024];
        var message = new MemoryStream();
        try
        {
            while (true)
            {
                var result = await _socket.ReceiveAsync(buffer, CancellationToken.None);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    if (_socket.State == WebSocketState.CloseReceived)
                    {
                        await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);
                    }

                    break;
                }

                message.Write(buffer, 0, result.Count);
                if (!result.EndOfMessage)
                {
                    continue;
                }

                var parsed = JsonNode.Parse(message.GetBuffer().AsSpan(0, (int)message.Length))!;
                message.SetLength(0);
                Interlocked.Increment(ref _frames);
                JsonObject[] messages;
                if (parsed is JsonArray batch)
                {
                    Interlocked.Increment(ref _arrayFrames);
                    messages = [.. batch.Select(m => m!.AsObject())];
                    batch.Clear(); // detaches them, so that tests may use them anywhere
                }
                else
                {
                    messages = [parsed.AsObject()];
                }

                lock (_received)
                {
                    _received.AddRange(messages);
                }

                foreach (var each in messages)
                {
                    _arrivals.Writer.TryWrite(each);
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or OperationCanceledException)
        {
        }
        finally
        {
            _arrivals.Writer.TryComplete();
            _closed.TrySetResult();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_socket.State == WebSocketState.Open)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "done", timeout.Token);
                await _closed.Task.WaitAsync(TimeSpan.FromSeconds(2));
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or TimeoutException)
            {
            }
        }

        _socket.Abort();
        await _receiving;
        _socket.Dispose();
    }
}

/// <summary>Operations as the browser client builds them (docs/protocol.md §5).</summary>
public static class Ops
{
    public static JsonObject AddPen(string id, double x, double y, string color = "#1e1e1e", double width = 4) => new()
    {
        ["k"] = "add",
        ["el"] = new JsonObject
        {
            ["id"] = id,
            ["t"] = "pen",
            ["color"] = color,
            ["width"] = width,
            ["opacity"] = 1,
            ["pts"] = new JsonArray(x, y, 0.5),
        },
    };

    public static JsonObject Points(string id, params double[] xy)
    {
        var pts = new JsonArray();
        for (var i = 0; i + 1 < xy.Length; i += 2)
        {
            pts.Add(xy[i]);
            pts.Add(xy[i + 1]);
            pts.Add(0.5);
        }

        return new JsonObject { ["k"] = "points", ["id"] = id, ["pts"] = pts };
    }

    public static JsonObject End(string id) => new() { ["k"] = "end", ["id"] = id };
}
