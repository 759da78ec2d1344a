using System.Collections.Concurrent;
using StackExchange.Redis;
using SharedCanvas.Realtime.Storage;

namespace SharedCanvas.Realtime.Fanout;

/// <summary>
/// The boards that have sockets on this replica, each with one subscription. A periodic check fills
/// publishes that did not arrive, and unsubscribes from boards nobody has used for a while.
/// </summary>
public sealed partial class BoardHubs : BackgroundService
{
    private static readonly TimeSpan CheckInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan PresenceRefreshInterval = TimeSpan.FromSeconds(10);

    /// <summary>Cursors are published at most this often per board (25 per second).</summary>
    private static readonly TimeSpan CursorInterval = TimeSpan.FromMilliseconds(40);
    private static readonly TimeSpan IdleLinger = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<string, Entry> _hubs = new();
    private readonly IConnectionMultiplexer _redis;
    private readonly BoardLog _log;
    private readonly RealtimeTelemetry _telemetry;
    private readonly ILogger<BoardHub> _logger;
    private readonly TimeProvider _time;

    private readonly string _replica;

    private readonly int _inlineFanoutLimit;

    public BoardHubs(IConnectionMultiplexer redis, BoardLog log, RealtimeTelemetry telemetry, ILogger<BoardHub> logger, TimeProvider time, ReplicaIdentity replica,
        Microsoft.Extensions.Options.IOptions<Extensions.RealtimeOptions> options)
    {
        _inlineFanoutLimit = options.Value.InlineFanoutLimit;
        _replica = replica.Name;
        _redis = redis;
        _log = log;
        _telemetry = telemetry;
        _logger = logger;
        _time = time;
        // After Redis comes back, every board may have missed publishes: catch up to the log's head.
        redis.ConnectionRestored += (_, _) =>
        {
            foreach (var entry in _hubs.Values)
            {
                if (entry.Hub.IsCompletedSuccessfully)
                {
                    _ = CatchUpQuietlyAsync(entry.Hub.Result, toHead: true);
                }
            }
        };
    }

    private sealed class Entry(Task<BoardHub> hub)
    {
        public Task<BoardHub> Hub { get; } = hub;

        public bool Closed { get; set; }

        public bool WasBehind { get; set; }
    }

    public int Count => _hubs.Count;

    /// <summary>
    /// The board's Redis keys: the running hub's when there is one, so that a board's sockets share one set
    /// (about 1 KB of strings a socket otherwise).
    /// </summary>
    public BoardKeys KeysFor(string boardId) =>
        _hubs.TryGetValue(boardId, out var entry) && entry.Hub.IsCompletedSuccessfully ? entry.Hub.Result.Keys : new BoardKeys(boardId);

    /// <summary>Adds a socket to its board's hub on this replica, subscribing first if needed.</summary>
    public async Task<BoardHub> JoinAsync(IBoardMember member)
    {
        var boardId = member.Principal.BoardId;
        while (true)
        {
            var entry = _hubs.GetOrAdd(boardId, id => new Entry(StartHubAsync(id)));
            BoardHub hub;
            try
            {
                hub = await entry.Hub.ConfigureAwait(false);
            }
            catch
            {
                _hubs.TryRemove(new KeyValuePair<string, Entry>(boardId, entry));
                throw;
            }

            lock (entry)
            {
                if (entry.Closed)
                {
                    continue;
                }

                hub.Add(member);
                return hub;
            }
        }
    }

    private async Task<BoardHub> StartHubAsync(string boardId)
    {
        var hub = new BoardHub(boardId, _log, _telemetry, _logger, _replica, _inlineFanoutLimit);
        await hub.StartAsync(_redis).ConfigureAwait(false);
        return hub;
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(CheckLoopAsync(stoppingToken), CursorLoopAsync(stoppingToken));

    private async Task CursorLoopAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(CursorInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                foreach (var entry in _hubs.Values)
                {
                    if (entry.Hub.IsCompletedSuccessfully)
                    {
                        entry.Hub.Result.FlushCursors();
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task CheckLoopAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(CheckInterval, _time);
        var lastPresenceRefresh = _time.GetUtcNow();
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var now = _time.GetUtcNow();
                var refreshPresence = now - lastPresenceRefresh >= PresenceRefreshInterval;
                if (refreshPresence)
                {
                    lastPresenceRefresh = now;
                }

                foreach (var (boardId, entry) in _hubs)
                {
                    if (!entry.Hub.IsCompletedSuccessfully)
                    {
                        continue;
                    }

                    var hub = entry.Hub.Result;
                    // Behind on two checks in a row: a publish was lost, not merely in flight.
                    var behind = hub.IsBehind;
                    if (behind && entry.WasBehind)
                    {
                        await CatchUpQuietlyAsync(hub, toHead: false);
                    }

                    entry.WasBehind = behind;
                    if (refreshPresence)
                    {
                        await RefreshPresenceQuietlyAsync(hub);
                    }

                    if (hub.EmptySince is { } since && now - since > IdleLinger)
                    {
                        lock (entry)
                        {
                            if (hub.MemberCount > 0)
                            {
                                continue;
                            }

                            entry.Closed = true;
                            _hubs.TryRemove(new KeyValuePair<string, Entry>(boardId, entry));
                        }

                        await hub.StopAsync();
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task RefreshPresenceQuietlyAsync(BoardHub hub)
    {
        try
        {
            await hub.RefreshPresenceAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            LogCatchUpFailed(ex, hub.Keys.BoardId);
        }
    }

    private async Task CatchUpQuietlyAsync(BoardHub hub, bool toHead)
    {
        try
        {
            await hub.CatchUpAsync(toHead).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            LogCatchUpFailed(ex, hub.Keys.BoardId);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Board {BoardId}: catching up from the log failed; will retry")]
    private partial void LogCatchUpFailed(Exception exception, string boardId);
}
