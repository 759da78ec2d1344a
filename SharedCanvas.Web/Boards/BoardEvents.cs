using System.Text.Json;
using StackExchange.Redis;

namespace SharedCanvas.Web.Boards;

/// <summary>
/// Announces changes that open sockets must react to, on the Redis channel <c>sc:events</c> that every
/// realtime replica listens to: a board deleted (its sockets close with 4404 and its data goes), someone's
/// access withdrawn or account deleted (their sockets close with 4403), someone signed out everywhere or
/// changed their password (their sockets close with 4401; the site then issues them no new token).
/// </summary>
public sealed partial class BoardEvents(IConnectionMultiplexer redis, ILogger<BoardEvents> logger)
{
    public static readonly RedisChannel Channel = RedisChannel.Literal("sc:events");

    public Task BoardDeletedAsync(string boardId) =>
        PublishAsync(new BoardEvent("board.deleted", boardId, null));

    public Task AccessRevokedAsync(string boardId, string userId) =>
        PublishAsync(new BoardEvent("access.revoked", boardId, userId));

    public Task UserSignedOutAsync(string userId) =>
        PublishAsync(new BoardEvent("user.signedout", null, userId));

    public Task UserDeletedAsync(string userId) =>
        PublishAsync(new BoardEvent("user.deleted", null, userId));

    private async Task PublishAsync(BoardEvent boardEvent)
    {
        try
        {
            await redis.GetSubscriber().PublishAsync(Channel, JsonSerializer.Serialize(boardEvent, BoardEventJsonContext.Default.BoardEvent));
        }
        catch (RedisException ex)
        {
            // The change itself is stored; open sockets lose access when their token expires (≤ 5 min).
            LogPublishFailed(ex, boardEvent.Type, boardEvent.Board ?? boardEvent.User ?? "");
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not announce {EventType} for {Subject}")]
    private partial void LogPublishFailed(Exception exception, string eventType, string subject);
}

public sealed record BoardEvent(string Type, string? Board, string? User);

[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
[System.Text.Json.Serialization.JsonSerializable(typeof(BoardEvent))]
internal sealed partial class BoardEventJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
