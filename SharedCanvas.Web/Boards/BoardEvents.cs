using System.Text.Json;
using SharedCanvas.Contracts;
using StackExchange.Redis;

namespace SharedCanvas.Web.Boards;

/// <summary>
/// Withdraws access that realtime tokens already handed out still carry, once the change itself is stored:
/// it raises the revision the tokens must carry (<see cref="AccessRevisions"/>), which every realtime replica
/// checks at the handshake, on renewal and on every write, and then announces the change on
/// <see cref="BoardEventNames.Channel"/> so that open sockets close at once: a board moved to the trash (4404) or deleted for good (4404, and its
/// data goes), someone removed or their account deleted (4403), someone's role changed (4401: they come back
/// with the new role), someone signed out everywhere or changed their password (4401; the site then issues
/// them no new token).
/// </summary>
public sealed partial class BoardEvents(IConnectionMultiplexer redis, ILogger<BoardEvents> logger)
{
    public Task BoardDeletedAsync(string boardId) =>
        WithdrawAsync(db => AccessRevisions.MarkDeletedAsync(db, boardId), new BoardEvent(BoardEventNames.BoardDeleted, boardId, null));

    public Task BoardTrashedAsync(string boardId) =>
        WithdrawAsync(db => AccessRevisions.MarkDeletedAsync(db, boardId), new BoardEvent(BoardEventNames.BoardTrashed, boardId, null));

    /// <summary>Takes tokens and writes for a board restored from the trash again (nothing to announce: no socket is open on it).</summary>
    public async Task BoardRestoredAsync(string boardId)
    {
        try
        {
            await AccessRevisions.ClearDeletedAsync(redis.GetDatabase(), boardId);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // The restore is stored; Redis refuses the board's tokens until the owner restores it again.
            LogRestoreFailed(ex, boardId);
            throw;
        }
    }

    public Task AccessRevokedAsync(string boardId, string userId) =>
        WithdrawAsync(db => AccessRevisions.RaiseBoardAsync(db, boardId, userId), new BoardEvent(BoardEventNames.AccessRevoked, boardId, userId));

    public Task AccessChangedAsync(string boardId, string userId) =>
        WithdrawAsync(db => AccessRevisions.RaiseBoardAsync(db, boardId, userId), new BoardEvent(BoardEventNames.AccessChanged, boardId, userId));

    public Task UserSignedOutAsync(string userId) =>
        WithdrawAsync(db => AccessRevisions.RaiseUserAsync(db, userId), new BoardEvent(BoardEventNames.UserSignedOut, null, userId));

    public Task UserDeletedAsync(string userId) =>
        WithdrawAsync(db => AccessRevisions.RaiseUserAsync(db, userId), new BoardEvent(BoardEventNames.UserDeleted, null, userId));

    /// <summary>The revision the realtime service checks now, for a token about to be issued (read before the role is).</summary>
    public Task<AccessState> RevisionsAsync(string boardId, string userId) => AccessRevisions.ReadAsync(redis.GetDatabase(), boardId, userId);

    private async Task WithdrawAsync(Func<IDatabaseAsync, Task> raise, BoardEvent boardEvent)
    {
        var subject = boardEvent.Board ?? boardEvent.User ?? "";
        var db = redis.GetDatabase();
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await raise(db);
                break;
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                if (attempt == 3)
                {
                    // The change is stored, and Redis — without which no replica accepts a socket or a write — is
                    // away; tokens handed out before it work again for at most their lifetime (≤ 5 min) if it returns.
                    LogWithdrawalFailed(ex, boardEvent.Type, subject);
                    return;
                }

                await Task.Delay(200 * attempt);
            }
        }

        try
        {
            await redis.GetSubscriber().PublishAsync(BoardEventNames.Channel, JsonSerializer.Serialize(boardEvent, BoardEventJsonContext.Default.BoardEvent));
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // Open sockets then close when they next write (the append script checks the revision) or renew.
            LogPublishFailed(ex, boardEvent.Type, subject);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not announce {EventType} for {Subject}")]
    private partial void LogPublishFailed(Exception exception, string eventType, string subject);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not take the tokens of board {BoardId}, restored from the trash, again")]
    private partial void LogRestoreFailed(Exception exception, string boardId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not withdraw the tokens of {EventType} for {Subject}")]
    private partial void LogWithdrawalFailed(Exception exception, string eventType, string subject);
}

public sealed record BoardEvent(string Type, string? Board, string? User);

[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
[System.Text.Json.Serialization.JsonSerializable(typeof(BoardEvent))]
internal sealed partial class BoardEventJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
