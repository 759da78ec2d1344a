using SharedCanvas.Web.Tokens;

namespace SharedCanvas.Web.Apis;

/// <summary>The public keys that verify the site's tokens (RFC 7517), for the realtime service.</summary>
internal static class JwksApi
{
    public static IEndpointRouteBuilder MapJwksApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/.well-known/jwks.json", GetKeys).AllowAnonymous();
        return app;
    }

    public static IResult GetKeys(HttpContext context, SigningKeyStore keys)
    {
        context.Response.Headers.CacheControl = "public, max-age=300";
        return TypedResults.Bytes(keys.JwksDocument.ToArray(), "application/jwk-set+json");
    }
}
