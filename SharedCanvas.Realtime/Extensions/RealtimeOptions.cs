using System.ComponentModel.DataAnnotations;

namespace SharedCanvas.Realtime.Extensions;

/// <summary>Limits and timings of the realtime service (section <c>Realtime</c>); see docs/security.md.</summary>
public sealed class RealtimeOptions
{
    public const string SectionName = "Realtime";

    /// <summary>Origins whose pages may open sockets (the site's). Requests without an Origin are judged by their token.</summary>
    public string[] AllowedOrigins { get; set; } = [];

    /// <summary>Largest incoming message, after reassembling its frames; larger closes with 1009.</summary>
    [Range(1024, 16 * 1024 * 1024)]
    public int MaxMessageBytes { get; set; } = 64 * 1024;

    /// <summary>Most points in one operation.</summary>
    [Range(1, 100_000)]
    public int MaxPointsPerBatch { get; set; } = 1000;

    /// <summary>Longest text element, in UTF-16 characters.</summary>
    [Range(1, 1_000_000)]
    public int MaxTextLength { get; set; } = 10_000;

    /// <summary>Messages waiting to be written to one socket; a socket that lets more pile up is closed with 1013.</summary>
    [Range(16, 1_000_000)]
    public int SendQueueCapacity { get; set; } = 4096;

    /// <summary>Sustained messages per second on one socket, unknown types included (cursor messages have their own budget).</summary>
    [Range(1, 100_000)]
    public int MessagesPerSecond { get; set; } = 100;

    /// <summary>Messages one socket may send at once above the sustained rate.</summary>
    [Range(1, 100_000)]
    public int MessageBurst { get; set; } = 200;

    /// <summary>New elements per second on one socket (a stroke, a shape, a text each add one).</summary>
    [Range(1, 100_000)]
    public int AddsPerSecond { get; set; } = 20;

    [Range(1, 100_000)]
    public int AddBurst { get; set; } = 60;

    /// <summary>Sustained messages per second of one user over all their sockets on a replica.</summary>
    [Range(1, 1_000_000)]
    public int UserMessagesPerSecond { get; set; } = 300;

    [Range(1, 1_000_000)]
    public int UserMessageBurst { get; set; } = 600;

    /// <summary>Cursor messages per second on one socket (the board page sends at most 25; only the latest is kept).</summary>
    [Range(1, 100_000)]
    public int CursorsPerSecond { get; set; } = 50;

    [Range(1, 100_000)]
    public int CursorBurst { get; set; } = 100;

    /// <summary>Messages refused for rate within ten seconds after which the socket is closed (1008).</summary>
    [Range(1, 1_000_000)]
    public int RateLimitedCloseAfter { get; set; } = 200;

    /// <summary>Sockets one user may hold open at once, over all replicas; more are refused with 429.</summary>
    [Range(1, 100_000)]
    public int MaxSocketsPerUser { get; set; } = 20;

    /// <summary>
    /// The share of strokes browsers trace (they set the <c>traceparent</c> sampled flag with this
    /// probability; the services follow the browser's decision). 1 traces every stroke.
    /// </summary>
    [Range(0.0, 1.0)]
    public double TraceSampleRatio { get; set; } = 1.0;

    /// <summary>
    /// A board with up to this many sockets on a replica is fanned out by writing to each socket on the fan-out
    /// thread itself; a bigger one hands each socket's send to the thread pool (docs/performance.md).
    /// </summary>
    [Range(0, 100_000)]
    public int InlineFanoutLimit { get; set; } = 32;

    /// <summary>
    /// Whether a board socket's upgrade is taken on the bare connection, ahead of ASP.NET Core's HTTP server,
    /// so that the socket keeps no HTTP request state (docs/performance.md, "Idle memory"); false sends every
    /// upgrade through the HTTP endpoint. Read at start-up. Off by default until the CI failures seen with it on
    /// (sockets whose peer stops reading or vanishes; docs/performance.md "Idle memory") are understood.
    /// </summary>
    public bool BareSockets { get; set; }

    /// <summary>How long a socket may stay open without sending <c>hello</c>.</summary>
    public TimeSpan HelloTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often the server pings each socket.</summary>
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How long a ping may stay unanswered before the socket is closed.</summary>
    public TimeSpan KeepAliveTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Redis replicas that must hold an operation before it is acknowledged and fanned out (<c>WAIT</c> after the
    /// append; docs/storage.md). 0 (standalone Redis) trusts the primary's append-only file; a Redis Cluster sets 1,
    /// so that the failure of any one node loses nothing acknowledged.
    /// </summary>
    [Range(0, 16)]
    public int AcknowledgeReplicas { get; set; }

    /// <summary>How long an append waits for those replicas; past it the operation is not acknowledged (1013, the client resends).</summary>
    public TimeSpan ReplicaAckTimeout { get; set; } = TimeSpan.FromSeconds(2);
}
