using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using SharedCanvas.Web.Apis;
using SharedCanvas.Web.Boards;

namespace SharedCanvas.Web.Pages.Boards;

/// <summary>The whiteboard page: the canvas, the tools, and the connection to the realtime service.</summary>
[Authorize]
public sealed class BoardModel(BoardService boards, Microsoft.Extensions.Options.IOptions<Extensions.DiagnosticsOptions> diagnostics,
    Microsoft.Extensions.Options.IOptions<Extensions.BrowserTelemetryOptions> browserTelemetry, IWebHostEnvironment environment) : PageModel
{
    /// <summary>Where the page exports its spans and metrics, or null (browser telemetry off).</summary>
    public Uri? TelemetryEndpoint => browserTelemetry.Value.EndpointUri;

    /// <summary>The export headers, as JSON for the page.</summary>
    public string TelemetryHeaders => System.Text.Json.JsonSerializer.Serialize(browserTelemetry.Value.HeaderPairs());

    public string TelemetryServiceName => browserTelemetry.Value.ServiceName;

    /// <summary>Whether the connection chip opens the diagnostics panel (Development, or when the site enables it).</summary>
    public bool Diagnostics => diagnostics.Value.Enabled ?? environment.IsDevelopment();

    /// <summary>The dashboard a stroke's trace opens in: an absolute http(s) address, or empty.</summary>
    public string DashboardUrl =>
        Uri.TryCreate(diagnostics.Value.DashboardUrl, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            ? uri.GetLeftPart(UriPartial.Authority)
            : "";

    public string Id { get; private set; } = "";

    public string Name { get; private set; } = "";

    public string Role { get; private set; } = "";

    public async Task<IActionResult> OnGetAsync(string id, CancellationToken cancellationToken)
    {
        if (await boards.FindForUserAsync(id, User.UserId()!, cancellationToken) is not ({ } board, { } role))
        {
            return NotFound();
        }

        (Id, Name, Role) = (board.Id, board.Name, role);
        return Page();
    }
}
