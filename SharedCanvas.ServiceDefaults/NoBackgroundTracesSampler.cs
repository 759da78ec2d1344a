using System.Diagnostics;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// The root sampler of every service: a span without a parent is recorded unless it is a client call — a
/// Redis command, an HTTP or database call that nothing asked for. Such calls are background work (the
/// savers' polling, presence and socket-count refreshes, key-set refreshes) that would otherwise fill the
/// dashboard with a trace each, every second; work worth seeing starts a named span of its own
/// (<c>save snapshot</c>, say) under which its calls are traced. Child spans follow their parent's decision.
/// </summary>
public sealed class NoBackgroundTracesSampler : Sampler
{
    private static readonly SamplingResult Record = new(SamplingDecision.RecordAndSample);
    private static readonly SamplingResult Drop = new(SamplingDecision.Drop);

    public NoBackgroundTracesSampler() => Description = nameof(NoBackgroundTracesSampler);

    public override SamplingResult ShouldSample(in SamplingParameters samplingParameters) =>
        samplingParameters.Kind == ActivityKind.Client ? Drop : Record;
}
