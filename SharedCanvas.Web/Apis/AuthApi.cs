using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using SharedCanvas.Web.Model;
using SharedCanvas.Web.Tokens;

namespace SharedCanvas.Web.Apis;

public sealed record TokenRequest(string? UserName, string? Password);

public sealed record TokenResponse(string AccessToken, DateTimeOffset ExpiresAt);

/// <summary>Tokens for clients that do not use cookies (the seed's motivation).</summary>
internal static class AuthApi
{
    public static IEndpointRouteBuilder MapAuthApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/auth").WithTags("Auth");
        group.MapPost("/token", IssueTokenAsync).AllowAnonymous();
        return app;
    }

    /// <summary>
    /// Exchanges a user name and password for an access token to the site's API. Wrong credentials, an
    /// unknown user and a locked-out account all get the same 401, after the same amount of work.
    /// </summary>
    public static async Task<Results<Ok<TokenResponse>, ProblemHttpResult>> IssueTokenAsync(
        TokenRequest request, UserManager<AppUser> users, SignInManager<AppUser> signIn, TokenIssuer issuer)
    {
        var user = string.IsNullOrEmpty(request.UserName) ? null : await users.FindByNameAsync(request.UserName);
        if (user is null)
        {
            // Hash anyway so that an unknown user takes as long as a wrong password.
            users.PasswordHasher.HashPassword(new AppUser(), request.Password ?? "");
            return InvalidCredentials();
        }

        var result = await signIn.CheckPasswordSignInAsync(user, request.Password ?? "", lockoutOnFailure: true);
        if (!result.Succeeded)
        {
            return InvalidCredentials();
        }

        var token = issuer.IssueApiToken(user);
        return TypedResults.Ok(new TokenResponse(token.AccessToken, token.ExpiresAt));
    }

    private static ProblemHttpResult InvalidCredentials() =>
        TypedResults.Problem(title: "The user name or password is incorrect.", statusCode: StatusCodes.Status401Unauthorized);
}
