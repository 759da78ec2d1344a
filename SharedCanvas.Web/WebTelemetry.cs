using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace SharedCanvas.Web;

/// <summary>The site's ActivitySource and Meter, and the instruments on them (docs/observability.md).</summary>
public sealed class WebTelemetry : IDisposable
{
    public const string Name = "SharedCanvas.Web";

    public static readonly ActivitySource Source = new(Name);

    public WebTelemetry(IMeterFactory meters)
    {
        Meter = meters.Create(Name);
        TokensIssued = Meter.CreateCounter<long>("sharedcanvas.web.tokens.issued", "{token}", "Tokens issued, by kind (realtime, api, refresh).");
        SignInFailures = Meter.CreateCounter<long>("sharedcanvas.web.signin.failures", "{attempt}", "Failed sign-ins, by surface (page, api).");
        Registrations = Meter.CreateCounter<long>("sharedcanvas.web.registrations", "{account}", "Accounts created.");
    }

    public Meter Meter { get; }

    public Counter<long> TokensIssued { get; }

    public Counter<long> SignInFailures { get; }

    public Counter<long> Registrations { get; }

    public void Dispose() => Meter.Dispose();
}
