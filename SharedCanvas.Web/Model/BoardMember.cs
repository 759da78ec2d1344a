namespace SharedCanvas.Web.Model;

/// <summary>Someone a board was shared with, and their role on it (<c>viewer</c> or <c>editor</c>).</summary>
public sealed class BoardMember
{
    public required string BoardId { get; init; }

    public required string UserId { get; init; }

    public AppUser? User { get; init; }

    public required string Role { get; set; }

    public DateTime AddedAt { get; init; }
}
