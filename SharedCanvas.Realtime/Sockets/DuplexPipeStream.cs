using System.Buffers;
using System.IO.Pipelines;

namespace SharedCanvas.Realtime.Sockets;

/// <summary>
/// A connection's transport (Kestrel's two pipes) as the one <see cref="Stream"/> a
/// <see cref="System.Net.WebSockets.WebSocket"/> is made from. A zero-byte read waits for data without taking
/// any, so that an idle socket holds no buffer (the pump waits that way, docs/performance.md "Idle memory").
/// </summary>
internal sealed class DuplexPipeStream(IDuplexPipe transport) : Stream
{
    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            var result = await transport.Input.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            if (result.IsCanceled)
            {
                transport.Input.AdvanceTo(buffer.Start);
                throw new OperationCanceledException(cancellationToken);
            }

            if (buffer.IsEmpty)
            {
                transport.Input.AdvanceTo(buffer.Start);
                if (result.IsCompleted)
                {
                    return 0;
                }

                continue;
            }

            if (destination.IsEmpty)
            {
                // Data is there: say so, and leave it for the next read.
                transport.Input.AdvanceTo(buffer.Start);
                return 0;
            }

            var count = (int)Math.Min(buffer.Length, destination.Length);
            buffer.Slice(0, count).CopyTo(destination.Span);
            transport.Input.AdvanceTo(buffer.GetPosition(count));
            return count;
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default)
    {
        var flushed = await transport.Output.WriteAsync(source, cancellationToken);
        if (flushed.IsCanceled)
        {
            throw new OperationCanceledException(cancellationToken);
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async Task FlushAsync(CancellationToken cancellationToken) => await transport.Output.FlushAsync(cancellationToken);

    public override void Flush() => throw new NotSupportedException("synchronous I/O");

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("synchronous I/O");

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("synchronous I/O");

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    /// <summary>
    /// Ends a read or a flush still pending, as disposing a network stream does: an aborted WebSocket disposes
    /// its stream to end a receive waiting on a silent peer, or a send stuck behind one that stopped reading.
    /// The pipes themselves are the connection's, completed by Kestrel when the connection ends (completing a
    /// reader with a read pending would throw).
    /// </summary>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            transport.Input.CancelPendingRead();
            transport.Output.CancelPendingFlush();
        }

        base.Dispose(disposing);
    }
}
