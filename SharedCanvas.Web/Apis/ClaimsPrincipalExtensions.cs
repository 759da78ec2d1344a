using System.Security.Claims;

namespace SharedCanvas.Web.Apis;

internal static class ClaimsPrincipalExtensions
{
    /// <summary>The user id, whether the request came with the sign-in cookie or a bearer token.</summary>
    public static string? UserId(this ClaimsPrincipal principal) =>
        principal.FindFirstValue("sub") ?? principal.FindFirstValue(ClaimTypes.NameIdentifier);
}
