using Microsoft.AspNetCore.Antiforgery;

namespace SharedCanvas.Web.Apis;

/// <summary>
/// Requests authenticated by the sign-in cookie must carry an antiforgery token (header
/// <c>RequestVerificationToken</c>): a browser would attach the cookie to a forged cross-site request
/// too. Requests with a bearer token cannot be forged that way and skip the check.
/// </summary>
internal sealed class CookieAntiforgeryFilter(IAntiforgery antiforgery) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (HttpMethods.IsGet(http.Request.Method) || HttpMethods.IsHead(http.Request.Method))
        {
            return await next(context);
        }

        var usesBearer = http.Request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase);
        if (!usesBearer && !await antiforgery.IsRequestValidAsync(http))
        {
            return TypedResults.Problem(
                title: "Missing or invalid antiforgery token.",
                detail: "Send the page's antiforgery token in the RequestVerificationToken header.",
                statusCode: StatusCodes.Status400BadRequest);
        }

        return await next(context);
    }
}
