using System.Security.Cryptography;

namespace SharedCanvas.Web.Model;

/// <summary>A board's metadata. Its drawing lives in the realtime service's log and snapshots.</summary>
public sealed class Board
{
    public const int MaxNameLength = 100;

    /// <summary>32 lowercase hex digits (128 random bits): unguessable, URL-safe, fixed length.</summary>
    public required string Id { get; init; }

    public required string Name { get; set; }

    public required string OwnerId { get; init; }

    public AppUser? Owner { get; init; }

    public DateTime CreatedAt { get; init; }

    /// <summary>
    /// When its owner moved it to the trash, or null. A board in the trash exists for no one — no page, no API,
    /// no token, no link (a query filter says so for every query) — except in its owner's trash, from which it
    /// can be restored with its drawing, members and links until <see cref="Boards.TrashOptions.Retention"/> ends.
    /// </summary>
    public DateTime? DeletedAt { get; set; }

    public static string NewId() => Contracts.BoardIds.New();

    public static bool IsValidId(string? id) => Contracts.BoardIds.IsValid(id);
}
