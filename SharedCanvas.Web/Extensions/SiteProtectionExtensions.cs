using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Security.Claims;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace SharedCanvas.Web.Extensions;

/// <summary>Request rate limits of the site (section <c>RateLimits</c>); see docs/security.md.</summary>
public sealed class RateLimitOptions
{
    public const string SectionName = "RateLimits";

    /// <summary>Sign-in attempts (form posts) per client address per minute.</summary>
    [Range(1, 1_000_000)]
    public int SignInsPerMinute { get; set; } = 10;

    /// <summary>Registrations per client address per hour (generous enough for a classroom behind one address).</summary>
    [Range(1, 1_000_000)]
    public int RegistrationsPerHour { get; set; } = 60;

    /// <summary>Requests to /api/auth/* (token, refresh, logout) per client address per minute.</summary>
    [Range(1, 1_000_000)]
    public int TokenRequestsPerMinute { get; set; } = 30;

    /// <summary>
    /// Failed sign-ins per account name (form and token API together) within <see cref="FailedSignInWindow"/>, from
    /// browsers that never signed in to it; then attempts on it are refused with 429 until the window ends.
    /// </summary>
    [Range(1, 1_000_000)]
    public int FailedSignInsPerAccount { get; set; } = 5;

    /// <summary>Failed sign-ins within <see cref="FailedSignInWindow"/> from one browser that signed in to the account before.</summary>
    [Range(1, 1_000_000)]
    public int FailedSignInsPerDevice { get; set; } = 10;

    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan FailedSignInWindow { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Realtime tokens per user per minute (a page needs one per connection and one per renewal).</summary>
    [Range(1, 1_000_000)]
    public int RealtimeTokensPerMinute { get; set; } = 60;
}

internal static class SiteProtectionExtensions
{
    public const string SignInPolicy = "sign-in";
    public const string RegistrationPolicy = "register";
    public const string RealtimeTokenPolicy = "realtime-token";

    /// <summary>Rate limits (429 with Retry-After) on sign-in, registration and token endpoints.</summary>
    public static IHostApplicationBuilder AddSiteProtection(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.OnRejected = async (context, cancellationToken) =>
            {
                var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(60);
                context.HttpContext.Response.Headers.RetryAfter = ((int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
                if (!WebFrontEndExtensions.IsApi(context.HttpContext))
                {
                    return; // a page: the status code page says it (a browser never shows JSON)
                }

                await TypedResults.Problem(
                    title: "Too many requests.",
                    detail: "Wait a moment and try again.",
                    statusCode: StatusCodes.Status429TooManyRequests).ExecuteAsync(context.HttpContext);
            };

            limiter.AddPolicy(SignInPolicy, context => PostsPerAddress(context, "sign-in",
                Limits(context).SignInsPerMinute, TimeSpan.FromMinutes(1)));
            limiter.AddPolicy(RegistrationPolicy, context => PostsPerAddress(context, "register",
                Limits(context).RegistrationsPerHour, TimeSpan.FromHours(1)));
            limiter.AddPolicy(Apis.AuthApi.TokenRateLimit, context => PostsPerAddress(context, "token",
                Limits(context).TokenRequestsPerMinute, TimeSpan.FromMinutes(1)));
            limiter.AddPolicy(RealtimeTokenPolicy, context =>
                RateLimitPartition.GetFixedWindowLimiter(
                    "realtime-token:" + (context.User.FindFirstValue("sub") ?? context.User.FindFirstValue(ClaimTypes.NameIdentifier) ?? Address(context)),
                    _ => Window(Limits(context).RealtimeTokensPerMinute, TimeSpan.FromMinutes(1))));
        });
        return builder;
    }

    private static RateLimitOptions Limits(HttpContext context) =>
        context.RequestServices.GetRequiredService<IOptions<RateLimitOptions>>().Value;

    /// <summary>Counts only POSTs (showing a form is free), per client address.</summary>
    private static RateLimitPartition<string> PostsPerAddress(HttpContext context, string name, int permits, TimeSpan window) =>
        HttpMethods.IsPost(context.Request.Method)
            ? RateLimitPartition.GetFixedWindowLimiter($"{name}:{Address(context)}", _ => Window(permits, window))
            : RateLimitPartition.GetNoLimiter($"{name}:read");

    private static FixedWindowRateLimiterOptions Window(int permits, TimeSpan window) =>
        new() { PermitLimit = permits, Window = window, QueueLimit = 0, AutoReplenishment = true };

    private static string Address(HttpContext context) => context.Connection.RemoteIpAddress?.ToString() ?? "unknown";

    /// <summary>
    /// Security headers on every response: a Content-Security-Policy without inline scripts (the pages have
    /// none) that lets pages connect only to the site, the realtime service and (where configured) the browser
    /// telemetry collector, no framing, no sniffing,
    /// no referrer to other sites (share links carry secrets), and HSTS outside development.
    /// </summary>
    public static WebApplication UseSiteProtection(this WebApplication app)
    {
        var realtime = new Uri(app.Services.GetRequiredService<IOptions<RealtimeLinkOptions>>().Value.PublicUrl);
        var socketOrigin = $"{(realtime.Scheme == Uri.UriSchemeHttps ? "wss" : "ws")}://{realtime.Authority}";
        var collector = app.Services.GetRequiredService<IOptions<BrowserTelemetryOptions>>().Value.EndpointUri is { } endpoint
            ? " " + endpoint.GetLeftPart(UriPartial.Authority)
            : "";
        var policy = string.Join("; ",
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data: blob:",
            "font-src 'self'",
            $"connect-src 'self' {socketOrigin}{collector}",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'");

        app.Use((context, next) =>
        {
            var headers = context.Response.Headers;
            headers.ContentSecurityPolicy = policy;
            headers.XContentTypeOptions = "nosniff";
            headers.XFrameOptions = "DENY";
            headers["Referrer-Policy"] = "same-origin";
            headers["Cross-Origin-Opener-Policy"] = "same-origin";
            headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()";
            return next(context);
        });

        if (!app.Environment.IsDevelopment())
        {
            app.UseHsts();
        }

        return app;
    }
}
