using System.Buffers;
using System.Net.WebSockets;
using System.Threading.Channels;

namespace SharedCanvas.Realtime.Sockets;

/// <summary>The send side of <see cref="SocketPump"/>: the socket's only writer, with batches.</summary>
public sealed partial class SocketPump
{
    /// <summary>A batch frame holds at most this many bytes; a larger message goes in a frame of its own.</summary>
    private const int MaxBatchBytes = 32 * 1024;
    private const int MaxBatchMessages = 256;

    /// <summary>
    /// When more than one message is waiting and the client accepts batches (protocol §2), sends them as one
    /// frame holding a JSON array: under load a socket's messages then cost one frame and one send instead of
    /// one each, and when the socket keeps up nothing waits for a batch to fill.
    /// </summary>
    private async Task SendLoopAsync()
    {
        var reader = _outgoing.Reader;
        try
        {
            while (!_discardQueued && await reader.WaitToReadAsync())
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
            }

            if (_close is { } close && _socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                await _socket.CloseOutputAsync(close.Status, close.Reason, _abort.Token);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            // The socket is gone, or closing: a close frame is out (perhaps the WebSocket's own, after a protocol
            // error) and must reach the peer, so only a socket still open is aborted, to end its receive too.
            Abort(abortSocket: _socket.State == WebSocketState.Open);
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
