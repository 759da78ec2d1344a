using System.Buffers.Text;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using HdrHistogram;
using SharedCanvas.Realtime.Protocol;
using SharedCanvas.Testing;

namespace SharedCanvas.Bench;

/// <summary>What every client of a run records into (shared, thread-safe).</summary>
internal sealed class LoadRecorder
{
    /// <summary>Microseconds from a sender's send to a receiver's receive, for every delivered operation.</summary>
    public LongConcurrentHistogram Delivery { get; } = new(1, 60_000_000, 3);

    /// <summary>Microseconds from a sender's send to its acknowledgement (durable in the log).</summary>
    public LongConcurrentHistogram Ack { get; } = new(1, 60_000_000, 3);

    /// <summary>Microseconds of an application ping's round trip (the idle scenario's keep-alive check).</summary>
    public LongConcurrentHistogram Ping { get; } = new(1, 60_000_000, 3);

    /// <summary>Stopwatch timestamp from which sends are measured (warm-up before it is not).</summary>
    public long MeasureFrom = long.MaxValue;

    public LoadClient[] Clients = [];

    public static long Micros(long from, long to) => Math.Max(1, (to - from) * 1_000_000 / Stopwatch.Frequency);
}

/// <summary>
/// One benchmark client: a board socket that draws pen strokes (add, point batches, end) and moves a
/// cursor at set rates, and records, for every operation it receives, the latency from its sender's
/// send. Its sender is read from the operation's <c>client</c> id (<c>bench</c> + the sender's index) and
/// its send time from that sender's table by operation number <c>n</c>: the whole load runs in one
/// process, so both ends read the same monotonic clock.
/// </summary>
internal sealed class LoadClient(int index, int board, LoadRecorder recorder, bool batch = true)
{
    private const int MaxOps = 1 << 20;

    private readonly ClientWebSocket _socket = new();
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly TaskCompletionSource _synced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly System.Buffers.ArrayBufferWriter<byte> _out = new(4096);
    private long[] _sentAt = new long[1024];
    private Task? _receiving;
    private volatile bool _stopping;

    public int Index { get; } = index;

    public int Board { get; } = board;

    public string ClientId { get; } = "bench" + index.ToString("D11", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Operation numbers sent so far (n of the last one).</summary>
    public long Sent;

    public long Acked;
    public long OpsReceived;
    public long CursorsReceived;
    /// <summary>Frames received: fewer than messages when the server batches.</summary>
    public long Frames;
    public long MessagesSent;
    public long Errors;
    public long Pongs;
    public string? FirstError;
    public WebSocketCloseStatus? UnexpectedClose;
    public long SequenceGaps;
    private long _lastSeq;
    /// <summary>Operations received from each other client, by index (allocated with the first one).</summary>
    private long[]? _receivedFrom;
    private long _pingSentAt;

    public async Task ConnectAsync(RealtimeToken token, Uri? realtimeUrl, string origin, CancellationToken cancel)
    {
        _socket.Options.SetRequestHeader("Origin", origin);
        var url = realtimeUrl is null ? token.Url : new Uri(realtimeUrl, new Uri(token.Url).AbsolutePath).ToString();
        await _socket.ConnectAsync(BoardSocket.Authorize(_socket, url, token.AccessToken), cancel);
        _receiving = Task.Run(ReceiveAsync, CancellationToken.None);
        await SendTextAsync(batch
            ? $"{{\"type\":\"hello\",\"client\":\"{ClientId}\",\"batch\":true}}"
            : $"{{\"type\":\"hello\",\"client\":\"{ClientId}\"}}");
        await _synced.Task.WaitAsync(TimeSpan.FromSeconds(60), cancel);
    }

    /// <summary>Draws pen strokes of <paramref name="batchesPerStroke"/> operations at <paramref name="perSecond"/> operations a second.</summary>
    public async Task DrawAsync(double perSecond, int pointsPerBatch, int batchesPerStroke, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1 / perSecond));
        var stroke = 0;
        var inStroke = 0;
        var x = 100.0 + Index % 50 * 30;
        var y = 100.0 + Index / 50 % 50 * 30;
        try
        {
            await Task.Delay(Random.Shared.Next((int)(1000 / perSecond)), stop); // spread senders over the period
            while (await timer.WaitForNextTickAsync(stop))
            {
                var elementId = $"{ClientId}-{stroke}";
                if (inStroke == 0)
                {
                    await SendOpAsync(OpKind.Add, elementId, x, y, 1);
                }
                else if (inStroke == batchesPerStroke - 1)
                {
                    await SendOpAsync(OpKind.End, elementId, x, y, 0);
                    stroke++;
                    inStroke = -1;
                    y += 2;
                }
                else
                {
                    x += 0.5;
                    await SendOpAsync(OpKind.Points, elementId, x, y, pointsPerBatch);
                }

                inStroke++;
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Moves the cursor at <paramref name="perSecond"/> messages a second.</summary>
    public async Task MoveCursorAsync(double perSecond, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1 / perSecond));
        var t = Random.Shared.NextDouble() * 100;
        try
        {
            await Task.Delay(Random.Shared.Next((int)(1000 / perSecond)), stop);
            while (await timer.WaitForNextTickAsync(stop))
            {
                t += 0.05;
                await _sendLock.WaitAsync(stop);
                try
                {
                    var writer = Begin();
                    writer.WriteString("type"u8, "cursor"u8);
                    writer.WriteNumber("x"u8, Math.Round(500 + 300 * Math.Cos(t), 1));
                    writer.WriteNumber("y"u8, Math.Round(400 + 200 * Math.Sin(t), 1));
                    await SendWrittenAsync(writer);
                }
                finally
                {
                    _sendLock.Release();
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>An application-level ping; its pong is timed (the idle scenario).</summary>
    public async Task PingAsync()
    {
        Volatile.Write(ref _pingSentAt, Stopwatch.GetTimestamp());
        await SendTextAsync("{\"type\":\"ping\",\"t\":1}");
    }

    public async Task CloseAsync()
    {
        _stopping = true;
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            if (_socket.State == WebSocketState.Open)
            {
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "done", timeout.Token);
            }

            if (_receiving is not null)
            {
                await _receiving.WaitAsync(timeout.Token);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or TimeoutException)
        {
        }
        finally
        {
            _socket.Dispose();
        }
    }

    private enum OpKind
    {
        Add,
        Points,
        End,
    }

    private async Task SendOpAsync(OpKind kind, string elementId, double x, double y, int points)
    {
        await _sendLock.WaitAsync();
        try
        {
            var n = Sent + 1;
            if (n >= MaxOps)
            {
                return;
            }

            if (n >= _sentAt.Length)
            {
                Array.Resize(ref _sentAt, _sentAt.Length * 2);
            }

            var writer = Begin();
            writer.WriteString("type"u8, "op"u8);
            writer.WriteNumber("n"u8, n);
            writer.WriteStartObject("op"u8);
            switch (kind)
            {
                case OpKind.Add:
                    writer.WriteString("k"u8, "add"u8);
                    writer.WriteStartObject("el"u8);
                    writer.WriteString("id"u8, elementId);
                    writer.WriteString("t"u8, "pen"u8);
                    writer.WriteString("color"u8, "#1e1e1e"u8);
                    writer.WriteNumber("width"u8, 3);
                    writer.WriteNumber("opacity"u8, 1);
                    WritePoints(writer, x, y, 1);
                    writer.WriteEndObject();
                    break;
                case OpKind.Points:
                    writer.WriteString("k"u8, "points"u8);
                    writer.WriteString("id"u8, elementId);
                    WritePoints(writer, x, y, points);
                    break;
                default:
                    writer.WriteString("k"u8, "end"u8);
                    writer.WriteString("id"u8, elementId);
                    break;
            }

            writer.WriteEndObject();
            Volatile.Write(ref _sentAt[n], Stopwatch.GetTimestamp());
            Sent = n;
            await SendWrittenAsync(writer);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    private static void WritePoints(Utf8JsonWriter writer, double x, double y, int points)
    {
        writer.WriteStartArray("pts"u8);
        for (var i = 0; i < points; i++)
        {
            writer.WriteNumberValue(Math.Round(x + i * 1.5, 1));
            writer.WriteNumberValue(Math.Round(y + i * 0.5, 1));
            writer.WriteNumberValue(0.5);
        }

        writer.WriteEndArray();
    }

    private Utf8JsonWriter? _writer;

    private Utf8JsonWriter Begin()
    {
        _out.ResetWrittenCount();
        if (_writer is null)
        {
            _writer = new Utf8JsonWriter(_out);
        }
        else
        {
            _writer.Reset(_out);
        }

        _writer.WriteStartObject();
        return _writer;
    }

    private async Task SendWrittenAsync(Utf8JsonWriter writer)
    {
        writer.WriteEndObject();
        writer.Flush();
        try
        {
            await _socket.SendAsync(_out.WrittenMemory, WebSocketMessageType.Text, true, CancellationToken.None);
            Interlocked.Increment(ref MessagesSent);
        }
        catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException)
        {
            // The socket closed; the receive loop records why.
        }
    }

    private async Task SendTextAsync(string text)
    {
        await _sendLock.WaitAsync();
        try
        {
            await _socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);
            Interlocked.Increment(ref MessagesSent);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    private async Task ReceiveAsync()
    {
        var buffer = new byte[64 * 1024];
        var length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    Array.Resize(ref buffer, buffer.Length * 2); // snapshots of big boards
                }

                var result = await _socket.ReceiveAsync(buffer.AsMemory(length), CancellationToken.None);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    if (!_stopping)
                    {
                        UnexpectedClose = _socket.CloseStatus;
                    }

                    return;
                }

                length += result.Count;
                if (!result.EndOfMessage)
                {
                    continue;
                }

                var frame = buffer.AsSpan(0, length);
                var now = Stopwatch.GetTimestamp();
                Frames++;
                if (frame.Length > 0 && frame[0] == (byte)'[')
                {
                    HandleBatch(frame, now);
                }
                else
                {
                    Handle(frame, now);
                }

                length = 0;
            }
        }
        catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or OperationCanceledException)
        {
            if (!_stopping)
            {
                UnexpectedClose ??= WebSocketCloseStatus.EndpointUnavailable;
            }
        }
        finally
        {
            _synced.TrySetException(new InvalidOperationException($"client {Index} closed before it was synced ({UnexpectedClose})"));
        }
    }

    /// <summary>A batch (protocol §2): a JSON array of messages, each handled as if it came alone.</summary>
    private void HandleBatch(ReadOnlySpan<byte> frame, long now)
    {
        var reader = new Utf8JsonReader(frame);
        reader.Read();
        while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
        {
            var start = (int)reader.TokenStartIndex;
            reader.Skip();
            Handle(frame[start..(int)reader.BytesConsumed], now);
        }
    }

    private void Handle(ReadOnlySpan<byte> message, long now)
    {
        if (message.StartsWith("{\"type\":\"op\","u8))
        {
            if (!OpEnvelope.TryReadHeader(message, out var seq, out var client, out var n))
            {
                return;
            }

            CheckSequence(seq);
            OpsReceived++;
            if (client.Length == 16 && client.StartsWith("bench"u8) && Utf8Parser.TryParse(client[5..], out int sender, out _)
                && (uint)sender < (uint)recorder.Clients.Length)
            {
                (_receivedFrom ??= new long[recorder.Clients.Length])[sender]++;
                var sentAt = recorder.Clients[sender].SentAt(n);
                if (sentAt >= recorder.MeasureFrom)
                {
                    recorder.Delivery.RecordValue(LoadRecorder.Micros(sentAt, now));
                }
            }
        }
        else if (message.StartsWith("{\"type\":\"cursors\""u8))
        {
            CursorsReceived++;
        }
        else if (message.StartsWith("{\"type\":\"ack\",\"n\":"u8))
        {
            var rest = message["{\"type\":\"ack\",\"n\":"u8.Length..];
            if (Utf8Parser.TryParse(rest, out long n, out var consumed) && rest[consumed..].StartsWith(",\"seq\":"u8)
                && Utf8Parser.TryParse(rest[(consumed + 7)..], out long seq, out _))
            {
                Acked++;
                CheckSequence(seq);
                var sentAt = SentAt(n);
                if (sentAt >= recorder.MeasureFrom)
                {
                    recorder.Ack.RecordValue(LoadRecorder.Micros(sentAt, now));
                }
            }
        }
        else if (message.StartsWith("{\"type\":\"pong\""u8))
        {
            Pongs++;
            recorder.Ping.RecordValue(LoadRecorder.Micros(Volatile.Read(ref _pingSentAt), now));
        }
        else if (message.StartsWith("{\"type\":\"synced\""u8))
        {
            _synced.TrySetResult();
        }
        else if (message.StartsWith("{\"type\":\"error\""u8))
        {
            Errors++;
            FirstError ??= Encoding.UTF8.GetString(message[..Math.Min(300, message.Length)]);
        }
    }

    /// <summary>Operations of a board arrive (as others' ops and own acks) in gap-free sequence order.</summary>
    private void CheckSequence(long seq)
    {
        if (_lastSeq != 0 && seq != _lastSeq + 1)
        {
            SequenceGaps++;
        }

        _lastSeq = seq;
    }

    /// <summary>How many operations of client <paramref name="sender"/> this one received.</summary>
    public long ReceivedFrom(int sender) => _receivedFrom is { } counts ? Volatile.Read(ref counts[sender]) : 0;

    private long SentAt(long n)
    {
        var sentAt = _sentAt;
        return n > 0 && n < sentAt.Length ? Volatile.Read(ref sentAt[n]) : 0;
    }
}
