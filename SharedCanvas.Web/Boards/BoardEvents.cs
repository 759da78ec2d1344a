using System.Text.Json;
using StackExchange.Redis;

namespace SharedCanvas.Web.Boards;

/// <summary>
/// Announces changes to boards that open sockets must react to, on the Redis channel <c>sc:events</c>
/// that every realtime replica listens to: a board deleted (its sockets close with 4404 and its data
/// goes), someone's access withdrawn (their sockets on the board close with 4403).
/// </summary>
public sealed partial class BoardEvents(IConnectionMultiplexer redis, ILogger<BoardEvents> logger)
{
    public static readonly RedisChannel Channel = RedisChannel.Literal("sc:events");

    public Task BoardDeletedAsync(string boardId) =>
        PublishAsync(new BoardEvent("board.deleted", boardId, null));

    public Task AccessRevokedAsync(string boardId, string userId) =>
        PublishAsync(new BoardEvent("access.revoked", boardId, userId));

    private async Task PublishAsync(BoardEvent boardEvent)
    {
        try
        {
            await redis.GetSubscriber().PublishAsync(Channel, JsonSerializer.Serialize(boardEvent, BoardEventJsonContext.Default.BoardEvent));
        }
        catch (RedisException ex)
        {
            // The change itself is stored; open sockets lose access when their token expires (≤ 5 min).
            LogPublishFailed(ex, boardEvent.Type, boardEvent.Board);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not announce {EventType} for board {BoardId}")]
    private partial void LogPublishFailed(Exception exception, string eventType, string boardId);
}

public sealed record BoardEvent(string Type, string Board, string? User);

[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
[System.Text.Json.Serialization.JsonSerializable(typeof(BoardEvent))]
internal sealed partial class BoardEventJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
