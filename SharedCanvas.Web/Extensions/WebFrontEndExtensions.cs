using SharedCanvas.Web.Apis;

namespace SharedCanvas.Web.Extensions;

internal static class WebFrontEndExtensions
{
    /// <summary>Razor Pages, antiforgery for cookie-authenticated API calls, problem details, JSON.</summary>
    public static IHostApplicationBuilder AddWebFrontEnd(this IHostApplicationBuilder builder)
    {
        builder.Services.AddRazorPages();
        builder.Services.AddRouting(options => options.LowercaseUrls = true);
        builder.Services.AddAntiforgery(options =>
        {
            options.HeaderName = "RequestVerificationToken";
            options.Cookie.Name = "sharedcanvas.af";
            options.Cookie.SecurePolicy = builder.Environment.IsDevelopment() ? CookieSecurePolicy.SameAsRequest : CookieSecurePolicy.Always;
        });
        builder.AddSiteProtection();
        builder.Services.AddProblemDetails();
        builder.Services.ConfigureHttpJsonOptions(options =>
            options.SerializerOptions.TypeInfoResolverChain.Insert(0, WebJsonContext.Default));
        return builder;
    }

    /// <summary>Requests answered with JSON: the API and the key set.</summary>
    public static bool IsApi(HttpContext context) =>
        context.Request.Path.StartsWithSegments("/api") || context.Request.Path.StartsWithSegments("/.well-known");

    public static WebApplication UseWebFrontEnd(this WebApplication app)
    {
        if (!app.Environment.IsDevelopment())
        {
            app.UseExceptionHandler("/error");
        }

        app.UseSiteProtection();
        // A browser that meets an error gets the site's own page with a way on; the APIs keep problem details.
        app.UseWhen(IsApi, api => api.UseStatusCodePages());
        app.UseWhen(context => !IsApi(context), pages => pages.UseStatusCodePagesWithReExecute("/error/{0}"));
        // Routing after the status code pages, so that a re-executed request finds the error page.
        app.UseRouting();
        app.MapStaticAssets();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();
        return app;
    }
}
