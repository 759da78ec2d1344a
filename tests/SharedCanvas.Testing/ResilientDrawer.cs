using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SharedCanvas.Realtime.Model;

namespace SharedCanvas.Testing;

/// <summary>
/// A client that draws continuously and behaves as the browser client does when things fail: it keeps
/// every operation until it is acknowledged, reconnects with backoff (fetching a fresh token and URL each
/// time), resumes from the last sequence number it applied, and resends what is unacknowledged. It folds
/// what it receives into its own copy of the board, so tests can compare copies.
/// <para>
/// Its strokes are made so that every operation can be found afterwards: stroke k of client c is element
/// <c>c-k</c>; operation n puts x = n into the stroke's points (add and points) or marks it done (end).
/// </para>
/// </summary>
public sealed class ResilientDrawer : IAsyncDisposable
{
    private const int OpsPerStroke = 4;

    private readonly Func<Task<RealtimeToken>> _tokens;
    private readonly Func<string?> _origin;
    private readonly TimeSpan _interval;
    private readonly Lock _gate = new();
    private readonly SortedDictionary<long, JsonObject> _unacked = [];
    private readonly Dictionary<long, long> _acked = [];
    private readonly Dictionary<long, JsonObject> _sent = [];
    private readonly CancellationTokenSource _stop = new();
    private BoardState _state = BoardState.Load(0, "[]"u8);
    private long _nextN = 1;
    private volatile bool _drawing = true;
    private Task? _run;

    /// <param name="tokens">Fetches a fresh realtime token (and the URL to open) for each connection.</param>
    /// <param name="origin">The Origin header to send (the site's, read at each connection), or none.</param>
    /// <param name="interval">The pause between two operations.</param>
    /// <param name="draw">False for a client that only watches.</param>
    public ResilientDrawer(Func<Task<RealtimeToken>> tokens, string? origin, TimeSpan interval, bool draw = true)
        : this(tokens, () => origin, interval, draw)
    {
    }

    public ResilientDrawer(Func<Task<RealtimeToken>> tokens, Func<string?> origin, TimeSpan interval, bool draw = true)
    {
        _tokens = tokens;
        _origin = origin;
        _interval = interval;
        _drawing = draw;
        ClientId = BoardSocket.NewClientId();
    }

    /// <summary>Stops drawing and waits until everything sent is acknowledged; <see cref="Resume"/> draws on.</summary>
    public async Task PauseAsync(TimeSpan timeout)
    {
        _drawing = false;
        var deadline = DateTime.UtcNow + timeout;
        while (Unacknowledged > 0 || !Live)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{ClientId}: {Unacknowledged} operations still unacknowledged (live: {Live}, connections: {Connections}, last error: {LastError}).");
            }

            await Task.Delay(50);
        }
    }

    public void Resume()
    {
        lock (_gate)
        {
            _limit = long.MaxValue;
        }

        _drawing = true;
    }

    /// <summary>Draws <paramref name="count"/> more operations, then stops drawing.</summary>
    public void DrawMore(int count)
    {
        lock (_gate)
        {
            _limit = _nextN - 1 + count;
        }

        _drawing = true;
    }

    private long _limit = long.MaxValue;

    public string ClientId { get; }

    public string? UserId { get; private set; }

    /// <summary>Operations sent for the first time.</summary>
    public int Sent { get; private set; }

    /// <summary>Operations the server refused (an <c>error</c> naming them): never applied, never resent. Number → code.</summary>
    public IReadOnlyDictionary<long, string> Refused
    {
        get
        {
            lock (_gate)
            {
                return new Dictionary<long, string>(_refused);
            }
        }
    }

    private readonly Dictionary<long, string> _refused = [];

    /// <summary>Operations sent again after a reconnect, because no acknowledgement had arrived.</summary>
    public int Resent { get; private set; }

    /// <summary>Resends the server recognised as already applied.</summary>
    public int Duplicates { get; private set; }

    public int Connections { get; private set; }

    /// <summary>Why the last connection attempt or connection ended (for failure messages).</summary>
    public string? LastError { get; private set; }

    public bool Live { get; private set; }

    public int Unacknowledged
    {
        get
        {
            lock (_gate)
            {
                return _unacked.Count;
            }
        }
    }

    /// <summary>Operation number → the sequence number it was acknowledged with.</summary>
    public IReadOnlyDictionary<long, long> Acknowledged
    {
        get
        {
            lock (_gate)
            {
                return new Dictionary<long, long>(_acked);
            }
        }
    }

    public long Seq
    {
        get
        {
            lock (_gate)
            {
                return _state.Seq;
            }
        }
    }

    /// <summary>This client's copy of the board, as JSON (elements in board order).</summary>
    public string BoardJson
    {
        get
        {
            lock (_gate)
            {
                return Encoding.UTF8.GetString(_state.SerializeElements());
            }
        }
    }

    public void Start() => _run = RunAsync();

    /// <summary>
    /// Stops drawing (after the operations asked for with <see cref="DrawMore"/>, if any) and waits until
    /// everything it sent is acknowledged.
    /// </summary>
    public async Task FinishAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (_drawing && _limit != long.MaxValue)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{ClientId}: still drawing.");
            }

            await Task.Delay(50);
        }

        _drawing = false;
        while (Unacknowledged > 0 || !Live)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{ClientId}: {Unacknowledged} operations still unacknowledged (live: {Live}, connections: {Connections}, last error: {LastError}).");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>Waits until this client has applied everything up to <paramref name="seq"/>.</summary>
    public async Task WaitForSeqAsync(long seq, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (Seq < seq)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{ClientId}: at seq {Seq}, waiting for {seq}.");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Waits until this client's copy of the board holds an element with id <paramref name="elementId"/>.</summary>
    public async Task WaitForElementAsync(string elementId, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            lock (_gate)
            {
                if (_state.Elements.Any(e => e.Id == elementId))
                {
                    return;
                }
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{ClientId}: no element {elementId} at seq {Seq}.");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>The operation this client sent as number <paramref name="n"/>.</summary>
    public JsonObject SentOp(long n)
    {
        lock (_gate)
        {
            return _sent[n];
        }
    }

    /// <summary>The element id and x value that operation <paramref name="n"/> of a drawer leaves on the board.</summary>
    public static (string ElementId, string Kind) Expectation(string clientId, long n) =>
        ($"{clientId}-{(n - 1) / OpsPerStroke}", ((n - 1) % OpsPerStroke) switch { 0 => "add", 3 => "end", _ => "points" });

    private JsonObject NextOp(long n)
    {
        var stroke = $"{ClientId}-{(n - 1) / OpsPerStroke}";
        return ((n - 1) % OpsPerStroke) switch
        {
            0 => new JsonObject
            {
                ["k"] = "add",
                ["el"] = new JsonObject { ["id"] = stroke, ["t"] = "pen", ["color"] = "#1e1e1e", ["width"] = 3, ["pts"] = new JsonArray(n, 1, 0.5) },
            },
            3 => new JsonObject { ["k"] = "end", ["id"] = stroke },
            _ => new JsonObject { ["k"] = "points", ["id"] = stroke, ["pts"] = new JsonArray(n, 2, 0.5) },
        };
    }

    private async Task RunAsync()
    {
        var attempt = 0;
        while (!_stop.IsCancellationRequested)
        {
            using var socket = new ClientWebSocket();
            try
            {
                var token = await _tokens();
                if (_origin() is { } origin)
                {
                    socket.Options.SetRequestHeader("Origin", origin);
                }

                using (var connect = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token))
                {
                    connect.CancelAfter(TimeSpan.FromSeconds(10));
                    await socket.ConnectAsync(BoardSocket.Authorize(socket, token.Url, token.AccessToken), connect.Token);
                }

                Connections++;
                _socket = socket;
                var receiving = ReceiveAsync(socket);
                var hello = new JsonObject { ["type"] = "hello", ["client"] = ClientId, ["batch"] = true };
                var since = Seq;
                if (since > 0)
                {
                    hello["since"] = since;
                }

                await SendAsync(socket, hello);
                List<KeyValuePair<long, JsonObject>> resend;
                lock (_gate)
                {
                    resend = [.. _unacked];
                }

                foreach (var (n, op) in resend)
                {
                    await SendAsync(socket, Envelope(n, op));
                    Resent++;
                }

                attempt = 0;
                while (!receiving.IsCompleted && !_stop.IsCancellationRequested)
                {
                    if (_drawing && Live)
                    {
                        long n;
                        JsonObject op;
                        lock (_gate)
                        {
                            if (_nextN > _limit)
                            {
                                _drawing = false;
                                continue;
                            }

                            n = _nextN++;
                            op = NextOp(n);
                            _unacked[n] = op;
                            _sent[n] = op;
                        }

                        await SendAsync(socket, Envelope(n, op));
                        Sent++;
                    }

                    await Task.WhenAny(Task.Delay(_interval), receiving);
                }

                await receiving;
            }
            catch (Exception ex) when (ex is WebSocketException or HttpRequestException or OperationCanceledException or IOException or InvalidOperationException)
            {
                LastError = $"{ex.GetType().Name}: {ex.Message}";
            }
            finally
            {
                Live = false;
            }

            if (_stop.IsCancellationRequested)
            {
                return;
            }

            attempt++;
            var backoff = TimeSpan.FromMilliseconds(Math.Min(2000, 100 * Math.Pow(2, attempt - 1)) * (0.5 + Random.Shared.NextDouble()));
            await Task.Delay(backoff).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private ClientWebSocket? _socket;
    private Timer? _renewal;

    /// <summary>Renews the token in-band a minute before it expires (or halfway, for short tokens), as the browser does.</summary>
    private void ScheduleRenewal(long expiresAtSeconds)
    {
        var remaining = DateTimeOffset.FromUnixTimeSeconds(expiresAtSeconds) - DateTimeOffset.UtcNow;
        var due = remaining > TimeSpan.FromMinutes(2) ? remaining - TimeSpan.FromMinutes(1) : remaining / 2;
        _renewal?.Dispose();
        _renewal = new Timer(_ => _ = RenewAsync(), null, due < TimeSpan.Zero ? TimeSpan.Zero : due, Timeout.InfiniteTimeSpan);
    }

    private async Task RenewAsync()
    {
        try
        {
            var token = await _tokens();
            if (_socket is { State: WebSocketState.Open } socket)
            {
                await _sendLock.WaitAsync();
                try
                {
                    await SendRawAsync(socket, new JsonObject { ["type"] = "auth", ["token"] = token.AccessToken });
                }
                finally
                {
                    _sendLock.Release();
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or HttpRequestException or InvalidOperationException or ObjectDisposedException)
        {
            LastError = $"renewal: {ex.Message}";
        }
    }

    private readonly SemaphoreSlim _sendLock = new(1, 1);

    private static JsonObject Envelope(long n, JsonObject op) =>
        new() { ["type"] = "op", ["n"] = n, ["op"] = op.DeepClone() };

    private async Task SendAsync(ClientWebSocket socket, JsonObject message)
    {
        await _sendLock.WaitAsync();
        try
        {
            await SendRawAsync(socket, message);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    private static Task SendRawAsync(ClientWebSocket socket, JsonObject message) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(message.ToJsonString()), WebSocketMessageType.Text, true, CancellationToken.None);

    private async Task ReceiveAsync(ClientWebSocket socket)
    {
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, _stop.Token);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return;
            }

            message.Write(buffer, 0, result.Count);
            if (!result.EndOfMessage)
            {
                continue;
            }

            Handle(message.GetBuffer().AsSpan(0, (int)message.Length));
            message.SetLength(0);
        }
    }

    private void Handle(ReadOnlySpan<byte> bytes)
    {
        var reader = new Utf8JsonReader(bytes);
        using var document = JsonDocument.ParseValue(ref reader);
        if (document.RootElement.ValueKind == JsonValueKind.Array)
        {
            // A batch (protocol §2): its messages in order.
            foreach (var message in document.RootElement.EnumerateArray())
            {
                Handle(message);
            }
        }
        else
        {
            Handle(document.RootElement);
        }
    }

    private void Handle(JsonElement root)
    {
        lock (_gate)
        {
            switch (root.GetProperty("type").GetString())
            {
                case "welcome":
                    UserId = root.GetProperty("me").GetProperty("user").GetString();
                    ScheduleRenewal(root.GetProperty("expiresAt").GetInt64());
                    break;
                case "auth.ok":
                    ScheduleRenewal(root.GetProperty("expiresAt").GetInt64());
                    break;
                case "snapshot":
                    _state = BoardState.Load(root.GetProperty("seq").GetInt64(), Encoding.UTF8.GetBytes(root.GetProperty("elements").GetRawText()));
                    break;
                case "op":
                    var seq = root.GetProperty("seq").GetInt64();
                    if (root.GetProperty("client").GetString() == ClientId)
                    {
                        var n = root.GetProperty("n").GetInt64();
                        _unacked.Remove(n);
                        _acked[n] = seq;
                    }

                    _state.Apply(seq, root.GetProperty("author").GetString()!, root.GetProperty("op"));
                    break;
                case "ack":
                    var number = root.GetProperty("n").GetInt64();
                    if (root.TryGetProperty("dup", out _))
                    {
                        // Already in the log; it reached (or reaches) this client through the replay.
                        Duplicates++;
                        _unacked.Remove(number);
                        if (root.TryGetProperty("seq", out var known) && !_acked.ContainsKey(number))
                        {
                            _acked[number] = known.GetInt64();
                        }
                    }
                    else if (_unacked.Remove(number, out var own))
                    {
                        var at = root.GetProperty("seq").GetInt64();
                        _acked[number] = at;
                        using var ownOp = JsonDocument.Parse(own.ToJsonString());
                        _state.Apply(at, UserId!, ownOp.RootElement);
                    }

                    break;
                case "synced":
                    Live = true;
                    break;
                case "error" when root.TryGetProperty("n", out var refused):
                    // Refused for good (protocol §4.8): drop it, as the board page does.
                    _unacked.Remove(refused.GetInt64());
                    _refused[refused.GetInt64()] = root.GetProperty("code").GetString() ?? "";
                    break;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _renewal?.Dispose();
        await _stop.CancelAsync();
        if (_run is not null)
        {
            await _run.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        _stop.Dispose();
    }
}
