using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using SharedCanvas.Web.Accounts;
using SharedCanvas.Web.Boards;
using SharedCanvas.Web.Data;
using SharedCanvas.Web.Model;
using SharedCanvas.Web.Tokens;

namespace SharedCanvas.Web.Extensions;

internal static class AccountExtensions
{
    /// <summary>A request is authenticated by its sign-in cookie, or by a bearer token if it sends one.</summary>
    public const string CookieOrBearerScheme = "CookieOrBearer";

    /// <summary>
    /// Accounts with ASP.NET Identity (cookie sign-in for the pages), the site's own bearer tokens for
    /// cookie-less API clients, and the token issuer for the realtime service.
    /// </summary>
    public static IHostApplicationBuilder AddAccounts(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<WebTelemetry>();
        builder.Services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<RealtimeLinkOptions>().BindConfiguration(RealtimeLinkOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<SigningKeyStore>();
        builder.Services.AddHostedService<SigningKeyRotation>();
        builder.Services.AddSingleton<TokenIssuer>();
        builder.Services.AddScoped<RefreshTokenService>();
        builder.Services.AddScoped<BoardService>();
        builder.Services.AddOptions<DiagnosticsOptions>().BindConfiguration(DiagnosticsOptions.SectionName);
        builder.Services.AddOptions<BrowserTelemetryOptions>().BindConfiguration(BrowserTelemetryOptions.SectionName);
        builder.Services.AddOptions<TrashOptions>().BindConfiguration(TrashOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddHostedService<TrashPurger>();
        builder.Services.AddSingleton<BoardEvents>();
        builder.Services.AddSingleton<SignInThrottle>();
        builder.Services.AddSingleton<TrustedDevices>();
        builder.Services.AddScoped<PasswordSignIn>();
        builder.Services.AddSingleton<PasswordStrength>();
        builder.AddRedisClient("redis", settings => settings.DisableHealthChecks = true);
        // Healthy while Redis serves the site, a cluster with one node down included (see the check).
        builder.Services.AddHealthChecks().AddCheck<BoardRedisHealthCheck>("redis");

        builder.Services.AddAuthentication(options =>
            {
                options.DefaultScheme = CookieOrBearerScheme;
                options.DefaultSignInScheme = IdentityConstants.ApplicationScheme;
            })
            .AddPolicyScheme(CookieOrBearerScheme, "Cookie or bearer token", options =>
                options.ForwardDefaultSelector = context =>
                    context.Request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
                        ? JwtBearerDefaults.AuthenticationScheme
                        : IdentityConstants.ApplicationScheme)
            .AddJwtBearer(options => options.MapInboundClaims = false)
            .AddIdentityCookies(cookies => cookies.ApplicationCookie?.Configure(options =>
            {
                options.LoginPath = "/account/login";
                options.LogoutPath = "/account/logout";
                options.AccessDeniedPath = "/account/login";
                options.Cookie.Name = "sharedcanvas.auth";
                options.Cookie.HttpOnly = true;
                // Secure outside plain-http local runs (Development); behind a TLS proxy, forward its headers.
                options.Cookie.SecurePolicy = builder.Environment.IsDevelopment() ? CookieSecurePolicy.SameAsRequest : CookieSecurePolicy.Always;
                options.Cookie.SameSite = SameSiteMode.Lax;
                options.SlidingExpiration = true;
                options.ExpireTimeSpan = TimeSpan.FromDays(14);
                // API callers get a status code, not a redirect to the sign-in page.
                options.Events.OnRedirectToLogin = context => RedirectOrStatus(context, StatusCodes.Status401Unauthorized);
                options.Events.OnRedirectToAccessDenied = context => RedirectOrStatus(context, StatusCodes.Status403Forbidden);
            }));

        builder.Services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<IOptions<AuthOptions>, SigningKeyStore>((options, auth, keys) =>
            {
                options.TokenValidationParameters = TokenIssuer.ApiValidationParameters(auth.Value, keys);
                // An API token stops working when the user's security stamp changes, as a cookie does.
                options.Events = new JwtBearerEvents { OnTokenValidated = RefuseStaleStampAsync };
            });

        builder.Services.AddIdentityCore<AppUser>(options =>
            {
                options.User.RequireUniqueEmail = false;
                options.User.AllowedUserNameCharacters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._@+";
                // Length over composition (OWASP ASVS 5.0, V6.2).
                options.Password.RequiredLength = 8;
                options.Password.RequireDigit = false;
                options.Password.RequireLowercase = false;
                options.Password.RequireUppercase = false;
                options.Password.RequireNonAlphanumeric = false;
                options.Password.RequiredUniqueChars = 1;
                // Failed sign-ins never lock an account (that would let anyone keep anyone out): they are
                // throttled instead (Accounts/SignInThrottle.cs). An administrator can still disable an
                // account by setting its lockout end.
                options.Lockout.AllowedForNewUsers = true;
            })
            .AddEntityFrameworkStores<WebDbContext>()
            .AddSignInManager()
            .AddDefaultTokenProviders()
            .AddPasswordValidator<StrengthPasswordValidator>();

        // Other browsers notice a changed security stamp (password change, "sign out everywhere") within a minute.
        builder.Services.Configure<SecurityStampValidatorOptions>(options => options.ValidationInterval = TimeSpan.FromMinutes(1));

        builder.Services.AddAuthorization();
        return builder;
    }

    /// <summary>Fails a bearer token whose security-stamp digest is not the user's current one (or whose user is gone).</summary>
    private static async Task RefuseStaleStampAsync(TokenValidatedContext context)
    {
        var users = context.HttpContext.RequestServices.GetRequiredService<UserManager<AppUser>>();
        var userId = context.Principal?.FindFirst("sub")?.Value;
        var digest = context.Principal?.FindFirst(Contracts.TokenClaims.StampDigest)?.Value;
        var user = userId is null ? null : await users.FindByIdAsync(userId);
        if (user is null || digest is null || digest != TokenIssuer.StampDigest(user.SecurityStamp))
        {
            context.Fail("The token was issued before the user's security stamp changed.");
        }
    }

    private static Task RedirectOrStatus(RedirectContext<Microsoft.AspNetCore.Authentication.Cookies.CookieAuthenticationOptions> context, int status)
    {
        if (context.Request.Path.StartsWithSegments("/api"))
        {
            context.Response.StatusCode = status;
        }
        else
        {
            context.Response.Redirect(context.RedirectUri);
        }

        return Task.CompletedTask;
    }
}
