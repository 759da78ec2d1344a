using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text;
using OpenTelemetry;
using OpenTelemetry.Context.Propagation;

namespace SharedCanvas.Realtime;

/// <summary>
/// The realtime service's ActivitySource and Meter, and the instruments on them (docs/observability.md).
/// One trace per stroke: the browser's <c>traceparent</c> travels in the operation message; the receiving
/// replica continues it (receive → authorize → append → publish), and the publish span's context travels
/// in the stored message to every replica, whose fan-out spans are its children.
/// </summary>
public sealed class RealtimeTelemetry : IDisposable
{
    public const string Name = "SharedCanvas.Realtime";

    /// <summary>The messaging destination template of every operation span.</summary>
    public const string Destination = "boards/{id}";

    public static readonly ActivitySource Source = new(Name);

    /// <summary>
    /// The pre-1.26 name of <c>messaging.operation.name</c>: the Aspire dashboard still summarises a
    /// messaging span as "MSG {system} {messaging.operation} {destination}", so it is set as well.
    /// </summary>
    public const string DashboardOperation = "messaging.operation";

    /// <summary>The process's propagator (W3C trace context and baggage once the SDK has started), read at each use.</summary>
    private static TextMapPropagator Propagator => Propagators.DefaultTextMapPropagator;

    public RealtimeTelemetry(IMeterFactory meters)
    {
        Meter = meters.Create(Name);
        OpenConnections = Meter.CreateUpDownCounter<long>("sharedcanvas.realtime.connections", "{connection}", "Open board sockets on this replica.");
        MessagesReceived = Meter.CreateCounter<long>("sharedcanvas.realtime.messages.received", "{message}", "Messages received from clients, by type.");
        OpsAppended = Meter.CreateCounter<long>("sharedcanvas.realtime.ops.appended", "{operation}", "Operations appended to board logs, by kind.");
        Deliveries = Meter.CreateCounter<long>("sharedcanvas.realtime.messages.broadcast", "{message}", "Messages fanned out to sockets on this replica, by type.");
        FanoutDuration = Meter.CreateHistogram<double>("sharedcanvas.realtime.fanout.duration", "ms",
            "Time from an operation's arrival to its write on each receiving socket (append, publish, fan-out, send).",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.5, 1, 2, 3, 5, 10, 20, 50, 100, 250, 500, 1000, 5000] });
        BatchSize = Meter.CreateHistogram<int>("sharedcanvas.realtime.batch.size", "{message}",
            "Messages in each array frame sent to a client that accepts batches (single-message frames are not recorded).",
            advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [2, 3, 5, 10, 20, 50, 100, 256] });
        SendQueueDrops = Meter.CreateCounter<long>("sharedcanvas.realtime.send_queue.overflows", "{connection}", "Sockets whose send queue overflowed: slow readers, closed with 1013.");
        Closes = Meter.CreateCounter<long>("sharedcanvas.realtime.closes", "{connection}", "Sockets closed by the server, by close code.");
        Refusals = Meter.CreateCounter<long>("sharedcanvas.realtime.refusals", "{refusal}", "Handshakes and messages refused, by reason.");
        SnapshotsSaved = Meter.CreateCounter<long>("sharedcanvas.realtime.snapshots.saved", "{snapshot}", "Board snapshots stored by the saver.");
    }

    public Meter Meter { get; }

    public UpDownCounter<long> OpenConnections { get; }

    public Counter<long> MessagesReceived { get; }

    public Counter<long> OpsAppended { get; }

    public Counter<long> Deliveries { get; }

    public Histogram<double> FanoutDuration { get; }

    public Histogram<int> BatchSize { get; }

    public Counter<long> SendQueueDrops { get; }

    public Counter<long> Closes { get; }

    public Counter<long> Refusals { get; }

    public Counter<long> SnapshotsSaved { get; }

    /// <summary>The trace context a <c>traceparent</c> carries, through the OpenTelemetry propagator.</summary>
    public static ActivityContext Extract(ReadOnlySpan<byte> traceParent)
    {
        if (traceParent.IsEmpty)
        {
            return default;
        }

        var carrier = Encoding.ASCII.GetString(traceParent);
        return Propagator.Extract(default, carrier, static (value, key) => key == "traceparent" ? [value] : []).ActivityContext;
    }

    /// <summary>The <c>traceparent</c> of an activity, through the OpenTelemetry propagator.</summary>
    public static string? Inject(Activity activity)
    {
        // Propagators refuse a null carrier; the box is the carrier.
        var carrier = new System.Runtime.CompilerServices.StrongBox<string?>();
        Propagator.Inject(new PropagationContext(activity.Context, Baggage.Current), carrier, static (box, key, value) =>
        {
            if (key == "traceparent")
            {
                box.Value = value;
            }
        });
        return carrier.Value;
    }

    /// <summary>
    /// Starts the span of a board socket's upgrade taken on the bare connection (<c>Apis/BoardSocketConnections</c>),
    /// named and tagged as ASP.NET Core names the same request's span when it serves it (HTTP semantic
    /// conventions), the caller's <c>traceparent</c> its parent. It lasts as long as the socket; per-message
    /// spans link to it. The token is never on it: the path is, the query (where older clients put a token) is not.
    /// </summary>
    internal static Activity? StartHandshake(string boardId, string? traceParent, string? traceState, System.Net.EndPoint? peer)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        var parent = default(ActivityContext);
        if (traceParent is not null)
        {
            parent = Propagator.Extract(default, (traceParent, traceState), static (carrier, key) => key switch
            {
                "traceparent" => [carrier.traceParent],
                "tracestate" when carrier.traceState is { } state => [state],
                _ => [],
            }).ActivityContext;
        }

        var activity = Source.StartActivity("GET /ws/boards/{boardId}", ActivityKind.Server, parent);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("http.request.method", "GET");
            activity.SetTag("http.route", "/ws/boards/{boardId}");
            activity.SetTag("url.scheme", "http");
            activity.SetTag("url.path", "/ws/boards/" + boardId);
            activity.SetTag("network.protocol.version", "1.1");
            if (peer is System.Net.IPEndPoint ip)
            {
                activity.SetTag("client.address", ip.Address.ToString());
            }

            activity.SetTag("sharedcanvas.board.id", boardId);
        }

        return activity;
    }

    /// <summary>
    /// Starts the span of one received operation: its parent is the browser's context (never the socket's
    /// long-lived upgrade request), and it links to the socket.
    /// </summary>
    public static Activity? StartReceive(ReadOnlySpan<byte> traceParent, ActivityContext connection, string boardId, string connectionId, string userId, int bytes)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        Activity.Current = null;
        var links = connection == default ? null : new[] { new ActivityLink(connection) };
        var activity = Source.StartActivity($"receive {Destination}", ActivityKind.Consumer, Extract(traceParent), links: links);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("messaging.system", "sharedcanvas");
            activity.SetTag("messaging.operation.type", "receive");
            activity.SetTag("messaging.operation.name", "receive");
            activity.SetTag(DashboardOperation, "receive");
            activity.SetTag("messaging.destination.name", boardId);
            activity.SetTag("messaging.destination.template", Destination);
            activity.SetTag("messaging.client.id", connectionId);
            activity.SetTag("messaging.message.body.size", bytes);
            activity.SetTag("sharedcanvas.board.id", boardId);
            activity.SetTag("enduser.id", userId);
        }

        return activity;
    }

    /// <summary>Counts a refused handshake or message by reason and marks its span (or the current one) as refused.</summary>
    public void Refuse(string reason, Activity? span = null)
    {
        Refusals.Add(1, new KeyValuePair<string, object?>("reason", reason));
        Refused(span ?? Activity.Current, reason);
    }

    /// <summary>Tags an operation's receive span with its identity, <c>client:n</c> (nothing is formatted when it is not traced).</summary>
    public static void TagMessageId(Activity? receive, byte[] clientId, long n) =>
        receive?.SetTag("messaging.message.id", $"{Encoding.ASCII.GetString(clientId)}:{n}");

    /// <summary>Tags the receive span of an operation that passed validation with its kind and element.</summary>
    public static void TagOperation(Activity? receive, string kind, ReadOnlySpan<byte> elementId)
    {
        if (receive is null)
        {
            return;
        }

        receive.SetTag("sharedcanvas.op.kind", kind);
        if (!elementId.IsEmpty)
        {
            receive.SetTag("sharedcanvas.element.id", Encoding.UTF8.GetString(elementId));
        }
    }

    /// <summary>
    /// The spans of an operation's durable append and its publish (one Redis script does both). The publish
    /// span's context is what travels in the stored message, so every replica's fan-out continues this trace.
    /// </summary>
    public static (Activity? Append, Activity? Publish) StartAppend(Activity? receive, string boardId)
    {
        var append = StartChild($"append {Destination}", ActivityKind.Client, receive);
        append?.SetTag("db.system.name", "redis");
        append?.SetTag("db.system", "redis"); // the name the Aspire dashboard reads ("DATA redis …")
        append?.SetTag("db.operation.name", "EVALSHA");
        var publish = StartChild($"publish {Destination}", ActivityKind.Producer, append);
        publish?.SetTag("messaging.system", "sharedcanvas");
        publish?.SetTag("messaging.operation.type", "send");
        publish?.SetTag("messaging.operation.name", "publish");
        publish?.SetTag(DashboardOperation, "publish");
        publish?.SetTag("messaging.destination.name", boardId);
        return (append, publish);
    }

    /// <summary>
    /// The span of one operation's fan-out on this replica: a child of its publish, whose context the stored
    /// message carries, so every replica's fan-out joins the stroke's trace. Null when nobody listens or the
    /// operation carries no trace.
    /// </summary>
    public static Activity? StartFanout(ReadOnlySpan<byte> traceParent, string boardId, long seq, string replica, ReadOnlySpan<byte> elementId)
    {
        if (traceParent.IsEmpty || !Source.HasListeners())
        {
            return null;
        }

        Activity.Current = null;
        var fanout = Source.StartActivity($"process {Destination}", ActivityKind.Consumer, Extract(traceParent));
        if (fanout is { IsAllDataRequested: true })
        {
            fanout.SetTag("messaging.system", "sharedcanvas");
            fanout.SetTag("messaging.operation.type", "process");
            fanout.SetTag("messaging.operation.name", "fan-out");
            fanout.SetTag(DashboardOperation, "fan-out");
            fanout.SetTag("messaging.destination.name", boardId);
            fanout.SetTag("messaging.destination.template", Destination);
            fanout.SetTag("sharedcanvas.board.id", boardId);
            fanout.SetTag("sharedcanvas.seq", seq);
            fanout.SetTag("sharedcanvas.replica", replica);
            if (!elementId.IsEmpty)
            {
                fanout.SetTag("sharedcanvas.element.id", Encoding.UTF8.GetString(elementId));
            }
        }

        return fanout;
    }

    /// <summary>Tags a fan-out span with what it did; dropped (slow) sockets make it an error.</summary>
    public static void FannedOut(Activity? fanout, int recipients, int acks, int drops)
    {
        if (fanout is null)
        {
            return;
        }

        fanout.SetTag("sharedcanvas.fanout.recipients", recipients);
        fanout.SetTag("sharedcanvas.fanout.acks", acks);
        fanout.SetTag("sharedcanvas.fanout.drops", drops);
        if (drops > 0)
        {
            fanout.SetStatus(ActivityStatusCode.Error, $"{drops} slow sockets closed (1013)");
        }
    }

    /// <summary>Marks a span as refused: error status, and the reason.</summary>
    public static void Refused(Activity? activity, string reason)
    {
        if (activity is null)
        {
            return;
        }

        activity.SetStatus(ActivityStatusCode.Error, reason);
        activity.SetTag("sharedcanvas.refusal.reason", reason);
        activity.SetTag("error.type", reason);
    }

    /// <summary>Tags a span of an operation with where the log put it (no allocation when it is not traced).</summary>
    public static void Appended(Activity? activity, long seq, bool applied)
    {
        activity?.SetTag("sharedcanvas.seq", seq);
        activity?.SetTag("sharedcanvas.duplicate", !applied);
    }

    public static Activity? StartChild(string name, ActivityKind kind, Activity? parent) =>
        parent is null ? null : Source.StartActivity(name, kind, parent.Context);

    public void Dispose() => Meter.Dispose();
}
