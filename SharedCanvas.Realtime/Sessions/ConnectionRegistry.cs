using System.Collections.Concurrent;
using SharedCanvas.Realtime.Protocol;

namespace SharedCanvas.Realtime.Sessions;

/// <summary>
/// Every socket open on this replica. A sweep closes sockets whose token expired while they were silent
/// or that never said hello; on shutdown every socket is closed with 1001 so clients reconnect elsewhere.
/// </summary>
public sealed class ConnectionRegistry : BackgroundService
{
    private static readonly TimeSpan SweepInterval = TimeSpan.FromSeconds(1);
    private readonly ConcurrentDictionary<BoardSession, byte> _connections = new();
    private readonly TimeProvider _time;
    private volatile bool _stopping;

    private readonly UserSockets _userSockets;

    public ConnectionRegistry(TimeProvider time, IHostApplicationLifetime lifetime, UserSockets userSockets)
    {
        _time = time;
        _userSockets = userSockets;
        // Sockets are long requests: the server waits for them before it stops. Closing them as soon as
        // shutdown begins (not when this service is stopped, which is after the server) lets it stop at once.
        lifetime.ApplicationStopping.Register(CloseAll);
    }

    public int Count => _connections.Count;

    /// <summary>Adds a socket; one that arrives while the server is stopping is told to go elsewhere.</summary>
    public void Add(BoardSession connection)
    {
        _connections.TryAdd(connection, 0);
        if (_stopping)
        {
            connection.RequestClose(CloseCodes.GoingAway, "server shutting down");
        }
    }

    private void CloseAll()
    {
        _stopping = true;
        foreach (var connection in _connections.Keys)
        {
            connection.RequestClose(CloseCodes.GoingAway, "server shutting down");
        }
    }

    public void Remove(BoardSession connection) => _connections.TryRemove(connection, out _);

    public IEnumerable<BoardSession> All => _connections.Keys;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(SweepInterval, _time);
        var ticks = 0;
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var now = _time.GetUtcNow();
                foreach (var connection in _connections.Keys)
                {
                    connection.Sweep(now);
                }

                // Every ten seconds: this replica's sockets still count towards their users' limits.
                if (++ticks % 10 == 0)
                {
                    _userSockets.Refresh(_connections.Keys);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
