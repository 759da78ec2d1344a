using System.Net.WebSockets;
using System.Text.Json;
using StackExchange.Redis;
using SharedCanvas.Contracts;
using SharedCanvas.Realtime.Auth;
using SharedCanvas.Realtime.Protocol;
using SharedCanvas.Realtime.Storage;

namespace SharedCanvas.Realtime.Sessions;

/// <summary>
/// Listens to the site's announcements on <see cref="BoardEventNames.Channel"/> (every replica does): a deleted
/// board's sockets close with 4404 and its log and snapshot are removed; sockets of someone removed close with
/// 4403, of someone whose role changed with 4401 (they come back with the new role). Announcements are only
/// the fast path: tokens are refused by their revisions (<see cref="AccessCheck"/>) whether or not a replica
/// heard one, and when this replica's subscription was lost it checks every open socket again.
/// </summary>
public sealed partial class BoardEventListener(
    IConnectionMultiplexer redis, ConnectionRegistry connections, SnapshotStore snapshots, AccessCheck access,
    ILogger<BoardEventListener> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var queue = await redis.GetSubscriber().SubscribeAsync(BoardEventNames.Channel);
        queue.OnMessage(OnEventAsync);
        redis.ConnectionRestored += OnConnectionRestored;
        try
        {
            await Task.Delay(Timeout.Infinite, stoppingToken);
        }
        catch (OperationCanceledException)
        {
            redis.ConnectionRestored -= OnConnectionRestored;
            await queue.UnsubscribeAsync();
        }
    }

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        if (e.ConnectionType == ConnectionType.Subscription)
        {
            // Announcements made while the subscription was down were not heard: ask Redis about every socket.
            _ = RecheckAllAsync();
        }
    }

    private async Task RecheckAllAsync()
    {
        var closed = 0;
        foreach (var connection in connections.All)
        {
            try
            {
                if (await access.RefusalAsync(connection.Principal) is { } reason)
                {
                    connection.RequestClose(reason == "board deleted" ? CloseCodes.BoardDeleted : CloseCodes.TokenExpired, reason);
                    closed++;
                }
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                // Still away: the append script refuses their writes, and their tokens expire within minutes.
                return;
            }
        }

        LogRechecked(connections.Count, closed);
    }

    private async Task OnEventAsync(ChannelMessage message)
    {
        string? type, boardId, userId;
        try
        {
            using var document = JsonDocument.Parse((byte[])message.Message!);
            var root = document.RootElement;
            type = root.GetProperty("type").GetString();
            boardId = root.TryGetProperty("board", out var board) ? board.GetString() : null;
            userId = root.TryGetProperty("user", out var user) ? user.GetString() : null;
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            LogMalformed();
            return;
        }

        switch (type)
        {
            case BoardEventNames.UserSignedOut when userId is not null:
                // Their tokens must be renewed, and the site gives signed-out sessions none.
                LogUserEvent(type, userId);
                Close(c => c.Principal.UserId == userId, CloseCodes.TokenExpired, "signed out");
                return;
            case BoardEventNames.UserDeleted when userId is not null:
                LogUserEvent(type, userId);
                Close(c => c.Principal.UserId == userId, CloseCodes.Forbidden, "account deleted");
                return;
        }

        if (!BoardIds.IsValid(boardId))
        {
            return;
        }

        switch (type)
        {
            case BoardEventNames.BoardTrashed:
                // Closed like a deleted board; its drawing stays in Redis and the snapshots for a restore.
                LogBoardDeleted(boardId!);
                Close(c => c.Principal.BoardId == boardId, CloseCodes.BoardDeleted, "board deleted");
                break;
            case BoardEventNames.BoardDeleted:
                LogBoardDeleted(boardId!);
                Close(c => c.Principal.BoardId == boardId, CloseCodes.BoardDeleted, "board deleted");
                // The board's access hash stays: it marks the board deleted, so that nothing writes it again.
                var keys = new BoardKeys(boardId!);
                var db = redis.GetDatabase();
                await db.KeyDeleteAsync(keys.All);
                await snapshots.DeleteAsync(boardId!);
                break;
            case BoardEventNames.AccessRevoked when userId is not null:
                LogAccessEvent(type, boardId!, userId);
                Close(c => c.Principal.BoardId == boardId && c.Principal.UserId == userId, CloseCodes.Forbidden, "access withdrawn");
                break;
            case BoardEventNames.AccessChanged when userId is not null:
                LogAccessEvent(type, boardId!, userId);
                Close(c => c.Principal.BoardId == boardId && c.Principal.UserId == userId, CloseCodes.TokenExpired, "role changed");
                break;
        }
    }

    private void Close(Func<BoardSession, bool> which, WebSocketCloseStatus status, string reason)
    {
        foreach (var connection in connections.All.Where(which))
        {
            connection.RequestClose(status, reason);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{EventType} for user {UserId}: closing their sockets")]
    private partial void LogUserEvent(string eventType, string userId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A malformed board event was ignored")]
    private partial void LogMalformed();

    [LoggerMessage(Level = LogLevel.Information, Message = "Board {BoardId} deleted: closing its sockets and removing its data")]
    private partial void LogBoardDeleted(string boardId);

    [LoggerMessage(Level = LogLevel.Information, Message = "{EventType} for user {UserId} on board {BoardId}: closing their sockets")]
    private partial void LogAccessEvent(string eventType, string boardId, string userId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Board events resubscribed: {Count} open sockets checked again, {Closed} closed")]
    private partial void LogRechecked(int count, int closed);
}
