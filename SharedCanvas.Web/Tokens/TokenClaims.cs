namespace SharedCanvas.Web.Tokens;

/// <summary>Claim names and token type shared with the realtime service (see docs/protocol.md §1).</summary>
public static class TokenClaims
{
    public const string Board = "board";
    public const string Role = "role";
    public const string Name = "name";

    /// <summary>RFC 9068 access-token type, in the JWT header's <c>typ</c>.</summary>
    public const string AccessTokenType = "at+jwt";
}
