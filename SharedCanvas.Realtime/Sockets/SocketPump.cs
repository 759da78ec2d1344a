using System.Buffers;
using System.Net.WebSockets;
using System.Threading.Channels;
using SharedCanvas.Realtime.Protocol;

namespace SharedCanvas.Realtime.Sockets;

/// <summary>
/// Moves one socket's bytes and nothing else: a receive loop that reassembles messages within the size limit
/// and hands each text message to the session, and a bounded send queue that fan-out fills without ever
/// waiting. Whoever fills the queue may also drain it on its own thread when nothing else is sending (see
/// <see cref="Flush"/>): a socket that keeps up is written to with no thread woken for it. When the client
/// accepts batches (protocol §2), messages already waiting go out as one array frame. A socket whose queue
/// overflows is a slow reader: it is closed with 1013 (it resumes on reconnect), so it cannot slow anybody
/// else. Knows nothing of boards.
/// </summary>
public sealed partial class SocketPump
{
    private const int InitialReceiveBuffer = 4096;
    private static readonly TimeSpan CloseHandshakeTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan SlowReaderCloseTimeout = TimeSpan.FromSeconds(30);

    /// <summary>How long a replay waits for room in the queue before its reader counts as one that does not read.</summary>
    private static readonly TimeSpan ReplayStallTimeout = TimeSpan.FromSeconds(20);

    private readonly WebSocket _socket;
    private readonly Channel<Outgoing> _outgoing;
    private readonly CancellationTokenSource _abort = new();
    private readonly Lock _closeGate = new();
    private readonly int _maxMessageBytes;
    private readonly RealtimeTelemetry _telemetry;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string _id;
    private (WebSocketCloseStatus Status, string Reason)? _close;
    private volatile bool _closeRequested;
    private volatile bool _discardQueued;
    private volatile bool _queueClosed;

    /// <summary>A message for the socket; <c>Timestamp</c> (Unix ms of the operation's arrival) times fan-out.</summary>
    private readonly record struct Outgoing(ReadOnlyMemory<byte> Bytes, long Timestamp);

    public SocketPump(string id, WebSocket socket, int maxMessageBytes, int sendQueueCapacity, RealtimeTelemetry telemetry, TimeProvider time, ILogger logger)
    {
        _id = id;
        _socket = socket;
        _maxMessageBytes = maxMessageBytes;
        _telemetry = telemetry;
        _time = time;
        _logger = logger;
        _outgoing = Channel.CreateBounded<Outgoing>(new BoundedChannelOptions(sendQueueCapacity)
        {
            SingleReader = true,
            SingleWriter = false,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    /// <summary>Whether frames may hold several messages (the client said so in <c>hello</c>).</summary>
    public bool Batch { get; set; }

    public bool CloseRequested => _closeRequested;

    /// <summary>The close the server asked for, if any; else what the peer sent.</summary>
    public (WebSocketCloseStatus Status, string Reason)? Close => _close;

    public int CloseCode => _close?.Status is { } status ? (int)status : (int?)_socket.CloseStatus ?? 0;

    /// <summary>Receives until the peer closes or the socket is aborted, handing each text message over in turn.</summary>
    public Task ReceiveAsync(Func<ReadOnlyMemory<byte>, ValueTask> onMessage) => ReceiveLoopAsync(onMessage);

    /// <summary>
    /// Queues a message without waiting; false when the queue was full (the socket is then closing with 1013).
    /// Nothing is sent until <see cref="Flush"/>.
    /// </summary>
    public bool TryEnqueue(ReadOnlyMemory<byte> message, long timestamp = 0)
    {
        if (_outgoing.Writer.TryWrite(new Outgoing(message, timestamp)))
        {
            return true;
        }

        Overflow();
        return false;
    }

    /// <summary>
    /// Queues a message, waiting for room (a replay slows only its own socket). Like <see cref="TryEnqueue"/>
    /// it leaves sending to <see cref="Flush"/>, so that a page of a replay travels in a few batch frames.
    /// A reader that makes no room for <see cref="ReplayStallTimeout"/> is a slow reader like any other: closed
    /// with 1013 (the wait ends with <see cref="ChannelClosedException"/>). Waiting on it for ever kept such a
    /// socket catching up for good, with every live delivery buffered for it and no close.
    /// </summary>
    public async ValueTask EnqueueAsync(ReadOnlyMemory<byte> message)
    {
        if (_outgoing.Writer.TryWrite(new Outgoing(message, 0)))
        {
            return;
        }

        Flush(inline: false);
        using var stall = CancellationTokenSource.CreateLinkedTokenSource(_abort.Token);
        stall.CancelAfter(ReplayStallTimeout);
        try
        {
            await _outgoing.Writer.WriteAsync(new Outgoing(message, 0), stall.Token);
        }
        catch (OperationCanceledException) when (!_abort.IsCancellationRequested)
        {
            Overflow();
            throw new ChannelClosedException("the client stopped reading during its replay");
        }
    }

    /// <summary>Asks the send loop to finish with a close frame; the receive loop ends when the peer answers.</summary>
    public bool RequestClose(WebSocketCloseStatus status, string reason)
    {
        lock (_closeGate)
        {
            if (_close is not null)
            {
                return false;
            }

            _close = (status, reason);
            _closeRequested = true;
        }

        _telemetry.Closes.Add(1, new KeyValuePair<string, object?>("code", (int)status));
        CloseQueue();
        // If the peer never answers the close frame, stop waiting for it.
        _ = Task.Delay(CloseHandshakeTimeout).ContinueWith(static (_, state) => ((SocketPump)state!).Abort(), this, TaskScheduler.Default);
        return true;
    }

    /// <summary>
    /// Ends both loops at once. Sends and receives are given no cancellation token (with one, every send takes
    /// the WebSocket's slow path and registers with the token, twice), so it is aborting the WebSocket that
    /// ends a send stuck behind a peer that stopped reading, or a receive from one that went silent.
    /// </summary>
    public void Abort(bool abortSocket = true)
    {
        _discardQueued = true;
        CloseQueue();
        if (abortSocket)
        {
            _socket.Abort();
        }

        try
        {
            _abort.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <summary>After the receive loop ended: lets the send loop finish its close frame (briefly), then lets go of the socket.</summary>
    public async Task CompleteAsync()
    {
        CloseQueue();
        using (var timeout = new CancellationTokenSource(CloseHandshakeTimeout))
        {
            try
            {
                await _finished.Task.WaitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                Abort();
            }
        }

        if (_socket.State != WebSocketState.Closed)
        {
            _socket.Abort();
        }

        _abort.Dispose();
    }

    private void Overflow()
    {
        lock (_closeGate)
        {
            if (_close is not null)
            {
                return;
            }

            // The queue is full, so the close frame cannot wait behind it: what is queued is dropped.
            _discardQueued = true;
            _close = (CloseCodes.TryAgainLater, "too slow: reconnect and resume");
            _closeRequested = true;
        }

        _telemetry.SendQueueDrops.Add(1);
        _telemetry.Closes.Add(1, new KeyValuePair<string, object?>("code", 1013));
        LogSlowReader(_id);
        CloseQueue();
        // A slow reader gets longer to take its close frame: the frame waits behind what it has not read.
        _ = Task.Delay(SlowReaderCloseTimeout).ContinueWith(static (_, state) => ((SocketPump)state!).Abort(), this, TaskScheduler.Default);
    }

    private async Task ReceiveLoopAsync(Func<ReadOnlyMemory<byte>, ValueTask> onMessage)
    {
        var maxBytes = _maxMessageBytes;
        while (true)
        {
            // Wait for the next message without holding a buffer: idle sockets cost no receive memory.
            var first = await _socket.ReceiveAsync(Memory<byte>.Empty, CancellationToken.None);
            if (first.MessageType == WebSocketMessageType.Close)
            {
                return;
            }

            var buffer = ArrayPool<byte>.Shared.Rent(InitialReceiveBuffer);
            try
            {
                var count = 0;
                var type = first.MessageType;
                var end = first.EndOfMessage;
                while (!end && count <= maxBytes)
                {
                    if (count == buffer.Length)
                    {
                        var larger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, maxBytes + 1));
                        buffer.AsSpan(0, count).CopyTo(larger);
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = larger;
                    }

                    var result = await _socket.ReceiveAsync(buffer.AsMemory(count, Math.Min(buffer.Length, maxBytes + 1) - count), CancellationToken.None);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        return;
                    }

                    type = result.MessageType;
                    count += result.Count;
                    end = result.EndOfMessage;
                }

                if (_closeRequested)
                {
                    continue;
                }

                if (count > maxBytes)
                {
                    _telemetry.Refuse("too_big");
                    RequestClose(CloseCodes.MessageTooBig, "message larger than the limit");
                }
                else if (type == WebSocketMessageType.Binary)
                {
                    _telemetry.Refuse("binary");
                    RequestClose(CloseCodes.BinaryFrame, "binary frames are not accepted");
                }
                else
                {
                    await onMessage(buffer.AsMemory(0, count));
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }
}
