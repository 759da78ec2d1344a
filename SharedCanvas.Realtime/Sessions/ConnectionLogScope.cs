using System.Collections;

namespace SharedCanvas.Realtime.Sessions;

/// <summary>
/// The log scope of one socket (<c>ConnectionId</c>, <c>BoardId</c>, <c>UserId</c> on every entry it logs).
/// It lives as long as the socket, so it is three fields rather than a dictionary, and it prints as text
/// in the console.
/// </summary>
internal sealed class ConnectionLogScope(string connectionId, string boardId, string userId) : IReadOnlyList<KeyValuePair<string, object?>>
{
    public int Count => 3;

    public KeyValuePair<string, object?> this[int index] => index switch
    {
        0 => new("ConnectionId", connectionId),
        1 => new("BoardId", boardId),
        2 => new("UserId", userId),
        _ => throw new ArgumentOutOfRangeException(nameof(index)),
    };

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
    {
        for (var i = 0; i < Count; i++)
        {
            yield return this[i];
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => $"ConnectionId:{connectionId} BoardId:{boardId} UserId:{userId}";
}
