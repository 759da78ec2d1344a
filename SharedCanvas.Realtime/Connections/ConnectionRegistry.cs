using System.Collections.Concurrent;
using SharedCanvas.Realtime.Protocol;

namespace SharedCanvas.Realtime.Connections;

/// <summary>
/// Every socket open on this replica. A sweep closes sockets whose token expired while they were silent
/// or that never said hello; on shutdown every socket is closed with 1001 so clients reconnect elsewhere.
/// </summary>
public sealed class ConnectionRegistry(TimeProvider time) : BackgroundService
{
    private static readonly TimeSpan SweepInterval = TimeSpan.FromSeconds(1);
    private readonly ConcurrentDictionary<BoardConnection, byte> _connections = new();

    public int Count => _connections.Count;

    public void Add(BoardConnection connection) => _connections.TryAdd(connection, 0);

    public void Remove(BoardConnection connection) => _connections.TryRemove(connection, out _);

    public IEnumerable<BoardConnection> All => _connections.Keys;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(SweepInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var now = time.GetUtcNow();
                foreach (var connection in _connections.Keys)
                {
                    connection.Sweep(now);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        foreach (var connection in _connections.Keys)
        {
            connection.RequestClose(CloseCodes.GoingAway, "server shutting down");
        }

        // Give the close frames a moment to leave before the server stops.
        var deadline = time.GetUtcNow() + TimeSpan.FromSeconds(2);
        while (!_connections.IsEmpty && time.GetUtcNow() < deadline && !cancellationToken.IsCancellationRequested)
        {
            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        }

        await base.StopAsync(cancellationToken);
    }
}
