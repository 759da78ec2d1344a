using Microsoft.AspNetCore.Http.HttpResults;
using SharedCanvas.Web.Accounts;
using SharedCanvas.Web.Model;
using SharedCanvas.Web.Tokens;

namespace SharedCanvas.Web.Apis;

public sealed record TokenRequest(string? UserName, string? Password);

public sealed record RefreshRequest(string? RefreshToken);

public sealed record TokenResponse(string AccessToken, DateTimeOffset ExpiresAt, string RefreshToken, DateTimeOffset RefreshExpiresAt);

/// <summary>Tokens for clients that do not use cookies (the seed's motivation).</summary>
internal static class AuthApi
{
    public const string TokenRateLimit = "token";

    public static IEndpointRouteBuilder MapAuthApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/auth").WithTags("Auth").AllowAnonymous().RequireRateLimiting(TokenRateLimit);
        group.MapPost("/token", IssueTokenAsync);
        group.MapPost("/refresh", RefreshAsync);
        group.MapPost("/logout", LogoutAsync);
        return app;
    }

    /// <summary>
    /// Exchanges a user name and password for an access token to the site's API and a refresh token.
    /// Wrong credentials and an unknown user get the same 401, after the same work; a spent guessing budget
    /// for the account (<see cref="SignInThrottle"/>) a 429, whoever the name belongs to.
    /// </summary>
    public static async Task<Results<Ok<TokenResponse>, ProblemHttpResult>> IssueTokenAsync(
        TokenRequest request, HttpContext http, PasswordSignIn passwords, SignInThrottle throttle, TokenIssuer issuer,
        RefreshTokenService refreshTokens, WebTelemetry telemetry, CancellationToken cancellationToken)
    {
        var (outcome, user) = await passwords.CheckAsync(request.UserName, request.Password);
        if (outcome != SignInOutcome.Succeeded)
        {
            telemetry.SignInFailures.Add(1, new KeyValuePair<string, object?>("surface", "api"));
            if (outcome == SignInOutcome.Throttled)
            {
                http.Response.Headers.RetryAfter = ((int)throttle.Window.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
                return TypedResults.Problem(title: "Too many failed attempts for this account.", detail: "Wait and try again.",
                    statusCode: StatusCodes.Status429TooManyRequests);
            }

            return InvalidCredentials();
        }

        var access = issuer.IssueApiToken(user!);
        var refresh = await refreshTokens.IssueAsync(user!, cancellationToken);
        return TypedResults.Ok(new TokenResponse(access.AccessToken, access.ExpiresAt, refresh.Token, refresh.ExpiresAt));
    }

    /// <summary>A new access token and a new refresh token for a refresh token, which stops working.</summary>
    public static async Task<Results<Ok<TokenResponse>, ProblemHttpResult>> RefreshAsync(
        RefreshRequest request, TokenIssuer issuer, RefreshTokenService refreshTokens, CancellationToken cancellationToken)
    {
        if (await refreshTokens.RedeemAsync(request.RefreshToken, cancellationToken) is not ({ } user, { } next))
        {
            return TypedResults.Problem(title: "The refresh token is not valid.", statusCode: StatusCodes.Status401Unauthorized);
        }

        var access = issuer.IssueApiToken(user);
        return TypedResults.Ok(new TokenResponse(access.AccessToken, access.ExpiresAt, next.Token, next.ExpiresAt));
    }

    /// <summary>Signs a cookie-less client out: its refresh tokens stop working.</summary>
    public static async Task<NoContent> LogoutAsync(RefreshRequest request, RefreshTokenService refreshTokens, CancellationToken cancellationToken)
    {
        await refreshTokens.RevokeAsync(request.RefreshToken, cancellationToken);
        return TypedResults.NoContent();
    }

    private static ProblemHttpResult InvalidCredentials() =>
        TypedResults.Problem(title: "The user name or password is incorrect.", statusCode: StatusCodes.Status401Unauthorized);
}
