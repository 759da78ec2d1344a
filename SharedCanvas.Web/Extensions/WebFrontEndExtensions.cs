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

    public static WebApplication UseWebFrontEnd(this WebApplication app)
    {
        if (!app.Environment.IsDevelopment())
        {
            app.UseExceptionHandler("/error");
        }

        app.UseSiteProtection();
        app.UseStatusCodePages();
        app.MapStaticAssets();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();
        return app;
    }
}
