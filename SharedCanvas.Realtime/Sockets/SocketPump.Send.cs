using System.Buffers;
using System.Net.WebSockets;
using System.Threading.Channels;

namespace SharedCanvas.Realtime.Sockets;

/// <summary>The send side of <see cref="SocketPump"/>: one writer at a time, on whichever thread fills the queue when it can, with batches.</summary>
public sealed partial class SocketPump
{
    /// <summary>A batch frame holds at most this many bytes; a larger message goes in a frame of its own.</summary>
    private const int MaxBatchBytes = 32 * 1024;
    private const int MaxBatchMessages = 256;

    /// <summary>1 while a drain owns the socket's sends (only one writes at a time, in queue order).</summary>
    private int _draining;

    /// <summary>Done once the last drain has sent the close frame (or found the socket gone).</summary>
    private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// Sends what is queued, unless a drain is already doing so (it takes what was added, in order). With
    /// <paramref name="inline"/>, the caller's thread sends for as long as each send completes at once — the
    /// common case for a socket that keeps up, which then costs no thread wake-up at all; a send that has to
    /// wait (the socket's buffers are full) continues on the thread pool. Without it, the drain starts on the
    /// thread pool: for fan-out to many sockets at once, whose sends would otherwise queue behind each other
    /// on one thread.
    /// </summary>
    public void Flush(bool inline)
    {
        if (Volatile.Read(ref _draining) != 0 || Interlocked.CompareExchange(ref _draining, 1, 0) != 0)
        {
            return;
        }

        if (inline)
        {
            _ = DrainAsync();
        }
        else
        {
            ThreadPool.UnsafeQueueUserWorkItem(static pump => _ = pump.DrainAsync(), this, preferLocal: false);
        }
    }

    /// <summary>No more messages are queued; a drain finishes the socket (with a close frame, if one was asked for).</summary>
    private void CloseQueue()
    {
        _queueClosed = true;
        _outgoing.Writer.TryComplete();
        Flush(inline: false);
    }

    /// <summary>
    /// Owns the socket's sends until the queue is empty. When more than one message is waiting and the client
    /// accepts batches (protocol §2), it sends them as one frame holding a JSON array: under load a socket's
    /// messages then cost one frame and one send instead of one each, and when it keeps up nothing waits for a
    /// batch to fill.
    /// </summary>
    private async Task DrainAsync()
    {
        var reader = _outgoing.Reader;
        try
        {
            while (true)
            {
                while (!_discardQueued && reader.TryRead(out var message))
                {
                    if (Batch && message.Bytes.Length < MaxBatchBytes / 2 && reader.TryPeek(out var next)
                        && FitsInBatch(1 + message.Bytes.Length, next))
                    {
                        await SendBatchAsync(message, reader);
                        continue;
                    }

                    await _socket.SendAsync(message.Bytes, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
                    if (message.Timestamp > 0)
                    {
                        RecordFanout(message.Timestamp, _time.GetUtcNow().ToUnixTimeMilliseconds());
                    }
                }

                if (_queueClosed)
                {
                    // The last drain: it keeps the socket to itself from here on.
                    await FinishAsync();
                    return;
                }

                Volatile.Write(ref _draining, 0);
                // A message queued after the last read and before the release would be left behind: take it.
                if (!reader.TryPeek(out _) && !_queueClosed || Interlocked.CompareExchange(ref _draining, 1, 0) != 0)
                {
                    return;
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            // The socket is gone, or closing: a close frame is out (perhaps the WebSocket's own, after a protocol
            // error) and must reach the peer, so only a socket still open is aborted, to end its receive too.
            Abort(abortSocket: _socket.State == WebSocketState.Open);
            _finished.TrySetResult();
        }
    }

    private async Task FinishAsync()
    {
        try
        {
            if (_close is { } close && _socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                await _socket.CloseOutputAsync(close.Status, close.Reason, _abort.Token);
            }
        }
        finally
        {
            _finished.TrySetResult();
        }
    }

    /// <summary>Sends <paramref name="first"/> and the messages after it that fit, as one array frame.</summary>
    private async ValueTask SendBatchAsync(Outgoing first, ChannelReader<Outgoing> reader)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(MaxBatchBytes);
        var timestamps = ArrayPool<long>.Shared.Rent(MaxBatchMessages);
        try
        {
            buffer[0] = (byte)'[';
            first.Bytes.Span.CopyTo(buffer.AsSpan(1));
            var length = 1 + first.Bytes.Length;
            timestamps[0] = first.Timestamp;
            var count = 1;
            while (count < MaxBatchMessages && !_discardQueued && reader.TryPeek(out var next) && FitsInBatch(length, next)
                && reader.TryRead(out next))
            {
                buffer[length++] = (byte)',';
                next.Bytes.Span.CopyTo(buffer.AsSpan(length));
                length += next.Bytes.Length;
                timestamps[count++] = next.Timestamp;
            }

            buffer[length++] = (byte)']';
            await _socket.SendAsync(buffer.AsMemory(0, length), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
            _telemetry.BatchSize.Record(count);
            var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
            for (var i = 0; i < count; i++)
            {
                RecordFanout(timestamps[i], now);
            }
        }
        finally
        {
            ArrayPool<long>.Shared.Return(timestamps);
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Whether <paramref name="next"/> fits after <paramref name="length"/> bytes of a batch (a comma before it, the closing bracket after).</summary>
    private static bool FitsInBatch(int length, in Outgoing next) => length + 1 + next.Bytes.Length + 1 <= MaxBatchBytes;

    private void RecordFanout(long timestamp, long now)
    {
        if (timestamp > 0)
        {
            _telemetry.FanoutDuration.Record(now - timestamp);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Socket {ConnectionId} read too slowly; closing it with 1013")]
    private partial void LogSlowReader(string connectionId);
}
