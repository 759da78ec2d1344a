using System.Text.Json;
using StackExchange.Redis;
using SharedCanvas.Realtime.Connections;
using SharedCanvas.Realtime.Protocol;
using SharedCanvas.Realtime.Storage;

namespace SharedCanvas.Realtime.Fanout;

/// <summary>
/// Listens to the site's announcements on <c>sc:events</c> (every replica does): a deleted board's sockets
/// close with 4404 and its log and snapshot are removed; sockets of someone whose access was withdrawn
/// close with 4403.
/// </summary>
public sealed partial class BoardEventListener(
    IConnectionMultiplexer redis, ConnectionRegistry connections, SnapshotStore snapshots, ILogger<BoardEventListener> logger) : BackgroundService
{
    public static readonly RedisChannel Channel = RedisChannel.Literal("sc:events");

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var queue = await redis.GetSubscriber().SubscribeAsync(Channel);
        queue.OnMessage(OnEventAsync);
        try
        {
            await Task.Delay(Timeout.Infinite, stoppingToken);
        }
        catch (OperationCanceledException)
        {
            await queue.UnsubscribeAsync();
        }
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
            case "user.signedout" when userId is not null:
                // Their tokens must be renewed, and the site gives signed-out sessions none.
                LogUserEvent(type, userId);
                CloseUser(userId, CloseCodes.TokenExpired, "signed out");
                return;
            case "user.deleted" when userId is not null:
                LogUserEvent(type, userId);
                CloseUser(userId, CloseCodes.Forbidden, "account deleted");
                return;
        }

        if (!Auth.BoardIds.IsValid(boardId))
        {
            return;
        }

        switch (type)
        {
            case "board.deleted":
                LogBoardDeleted(boardId!);
                foreach (var connection in connections.All.Where(c => c.Principal.BoardId == boardId))
                {
                    connection.RequestClose(CloseCodes.BoardDeleted, "board deleted");
                }

                var keys = new BoardKeys(boardId!);
                var db = redis.GetDatabase();
                await db.KeyDeleteAsync(keys.All);
                await db.SetRemoveAsync(BoardKeys.SaverDirty, boardId);
                await snapshots.DeleteAsync(boardId!);
                break;
            case "access.revoked" when userId is not null:
                LogAccessRevoked(boardId!, userId);
                foreach (var connection in connections.All.Where(c => c.Principal.BoardId == boardId && c.Principal.UserId == userId))
                {
                    connection.RequestClose(CloseCodes.Forbidden, "access withdrawn");
                }

                break;
        }
    }

    private void CloseUser(string userId, System.Net.WebSockets.WebSocketCloseStatus status, string reason)
    {
        foreach (var connection in connections.All.Where(c => c.Principal.UserId == userId))
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Access of user {UserId} to board {BoardId} withdrawn: closing their sockets")]
    private partial void LogAccessRevoked(string boardId, string userId);
}
