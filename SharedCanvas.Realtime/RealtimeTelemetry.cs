using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace SharedCanvas.Realtime;

/// <summary>The realtime service's ActivitySource and Meter, and the instruments on them.</summary>
public sealed class RealtimeTelemetry : IDisposable
{
    public const string Name = "SharedCanvas.Realtime";

    public RealtimeTelemetry(IMeterFactory meters)
    {
        Meter = meters.Create(Name);
        OpenConnections = Meter.CreateUpDownCounter<long>("sharedcanvas.realtime.connections", "{connection}", "Open board sockets on this replica.");
        MessagesReceived = Meter.CreateCounter<long>("sharedcanvas.realtime.messages.received", "{message}", "Messages received from clients, by type.");
        OpsAppended = Meter.CreateCounter<long>("sharedcanvas.realtime.ops.appended", "{operation}", "Operations appended to board logs, by kind.");
        Deliveries = Meter.CreateCounter<long>("sharedcanvas.realtime.deliveries", "{message}", "Messages written to sockets by fan-out, by type.");
        FanoutDuration = Meter.CreateHistogram<double>("sharedcanvas.realtime.fanout.duration", "ms",
            "Time from an operation's append to its fan-out to this replica's sockets.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.25, 0.5, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000] });
        SendQueueDrops = Meter.CreateCounter<long>("sharedcanvas.realtime.send_queue.overflows", "{connection}", "Sockets closed because their send queue overflowed (slow readers).");
        Closes = Meter.CreateCounter<long>("sharedcanvas.realtime.closes", "{connection}", "Sockets closed by the server, by close code.");
        Refusals = Meter.CreateCounter<long>("sharedcanvas.realtime.refusals", "{refusal}", "Handshakes and messages refused, by reason.");
        SnapshotsSaved = Meter.CreateCounter<long>("sharedcanvas.realtime.snapshots.saved", "{snapshot}", "Board snapshots stored by the saver.");
    }

    public static readonly ActivitySource Source = new(Name);

    public Meter Meter { get; }

    public UpDownCounter<long> OpenConnections { get; }

    public Counter<long> MessagesReceived { get; }

    public Counter<long> OpsAppended { get; }

    public Counter<long> Deliveries { get; }

    public Histogram<double> FanoutDuration { get; }

    public Counter<long> SendQueueDrops { get; }

    public Counter<long> Closes { get; }

    public Counter<long> Refusals { get; }

    public Counter<long> SnapshotsSaved { get; }

    public void Dispose() => Meter.Dispose();
}
