using StackExchange.Redis;

namespace SharedCanvas.Realtime.Fanout;

/// <summary>Presence and cursors of <see cref="BoardHub"/>: who is on the board, kept in Redis with expiries, and coalesced cursor moves.</summary>
public sealed partial class BoardHub
{
    /// <summary>
    /// A socket is live: record it in the board's presence, tell everyone, and send it the full list.
    /// </summary>
    public async Task AnnounceAsync(IBoardMember connection)
    {
        var now = DateTimeOffset.UtcNow;
        await _db!.HashSetAsync(Keys.Presence, connection.Id, PresenceMessages.Entry(connection, now + PresenceMessages.EntryLifetime)).ConfigureAwait(false);
        await _subscriber!.PublishAsync(Keys.Channel, PresenceMessages.Join(connection)).ConfigureAwait(false);
        var entries = await _db.HashValuesAsync(Keys.Presence).ConfigureAwait(false);
        connection.DeliverEphemeral(PresenceMessages.List(entries.Select(e => (byte[])e!), now.ToUnixTimeMilliseconds()), inline: true);
    }

    /// <summary>A socket left: remove it from the board's presence and tell everyone.</summary>
    public async Task DepartAsync(string connectionId)
    {
        await _db!.HashDeleteAsync(Keys.Presence, connectionId).ConfigureAwait(false);
        await _subscriber!.PublishAsync(Keys.Channel, PresenceMessages.Leave(connectionId)).ConfigureAwait(false);
    }

    /// <summary>
    /// Extends this replica's presence entries, and removes entries that expired (their replica died
    /// without saying goodbye), telling everyone they left.
    /// </summary>
    public async Task RefreshPresenceAsync()
    {
        var now = DateTimeOffset.UtcNow;
        var members = Volatile.Read(ref _members).Where(m => m.IsLive).ToArray();
        if (members.Length > 0)
        {
            var expires = now + PresenceMessages.EntryLifetime;
            await _db!.HashSetAsync(Keys.Presence, [.. members.Select(m => new HashEntry(m.Id, PresenceMessages.Entry(m, expires)))]).ConfigureAwait(false);
        }

        foreach (var entry in await _db!.HashGetAllAsync(Keys.Presence).ConfigureAwait(false))
        {
            if (PresenceMessages.IsExpired((byte[])entry.Value!, now.ToUnixTimeMilliseconds())
                && await _db.HashDeleteAsync(Keys.Presence, entry.Name).ConfigureAwait(false))
            {
                await _subscriber!.PublishAsync(Keys.Channel, PresenceMessages.Leave((string)entry.Name!)).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Publishes the cursors that moved since the last flush, coalesced into one message for the board.</summary>
    public void FlushCursors()
    {
        List<(string, CursorMove)>? moved = null;
        foreach (var member in Volatile.Read(ref _members))
        {
            if (member.TakeCursor() is { } cursor)
            {
                (moved ??= []).Add((member.Id, cursor));
            }
        }

        if (moved is not null)
        {
            _subscriber?.Publish(Keys.Channel, PresenceMessages.Cursors(moved), CommandFlags.FireAndForget);
        }
    }
}
