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

    public static string NewId() => Contracts.BoardIds.New();

    public static bool IsValidId(string? id) => Contracts.BoardIds.IsValid(id);
}
