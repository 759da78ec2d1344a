namespace SharedCanvas.Web.Extensions;

/// <summary>
/// The board page's diagnostics panel (on its connection chip): the replica it is connected to and the trace
/// of the person's last stroke, linked to the dashboard. On in Development, or where the site enables it.
/// </summary>
public sealed class DiagnosticsOptions
{
    public const string SectionName = "Diagnostics";

    /// <summary>Whether the panel is offered; unset means "in Development only".</summary>
    public bool? Enabled { get; set; }

    /// <summary>The Aspire dashboard's address (the AppHost passes it); without it the panel shows the trace id alone.</summary>
    public string? DashboardUrl { get; set; }
}
