namespace SharedCanvas.Contracts;

/// <summary>Claim names and the token type of the site's tokens (docs/protocol.md §1, docs/security.md).</summary>
public static class TokenClaims
{
    public const string Board = "board";
    public const string Role = "role";
    public const string Name = "name";

    /// <summary>The user's access revision when the token was issued (<see cref="AccessRevisions"/>).</summary>
    public const string UserRevision = "urev";

    /// <summary>The user's revision on the token's board when the token was issued (<see cref="AccessRevisions"/>).</summary>
    public const string BoardRevision = "brev";

    /// <summary>In the site's API tokens: a digest of the user's security stamp when the token was issued.</summary>
    public const string StampDigest = "sst";

    /// <summary>RFC 9068 access-token type, in the JWT header's <c>typ</c>.</summary>
    public const string AccessTokenType = "at+jwt";
}
