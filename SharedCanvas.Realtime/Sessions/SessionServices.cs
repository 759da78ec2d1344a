using Microsoft.Extensions.Options;
using SharedCanvas.Realtime.Auth;
using SharedCanvas.Realtime.Extensions;
using SharedCanvas.Realtime.Fanout;
using SharedCanvas.Realtime.Pipeline;
using SharedCanvas.Realtime.Protocol;
using SharedCanvas.Realtime.Storage;

namespace SharedCanvas.Realtime.Sessions;

/// <summary>What every session on this replica shares: the log, the hubs, the pipeline, the validator, limits and telemetry.</summary>
public sealed class SessionServices(
    BoardLog log,
    SnapshotStore snapshots,
    BoardHistory history,
    BoardHubs hubs,
    ConnectionRegistry registry,
    BoardTokenValidator tokens,
    AccessCheck access,
    OpPipeline pipeline,
    MessageLimits limits,
    UserSockets userSockets,
    IOptions<RealtimeOptions> options,
    RealtimeTelemetry telemetry,
    ReplicaIdentity replica,
    TimeProvider time,
    ILogger<BoardSession> logger)
{
    public BoardLog Log { get; } = log;

    public SnapshotStore Snapshots { get; } = snapshots;

    public BoardHistory History { get; } = history;

    public BoardHubs Hubs { get; } = hubs;

    public ConnectionRegistry Registry { get; } = registry;

    public BoardTokenValidator Tokens { get; } = tokens;

    public AccessCheck Access { get; } = access;

    public OpPipeline Pipeline { get; } = pipeline;

    public MessageLimits Limits { get; } = limits;

    public UserSockets UserSockets { get; } = userSockets;

    public RealtimeOptions Options { get; } = options.Value;

    public OpLimits OpLimits { get; } = new(options.Value.MaxPointsPerBatch, options.Value.MaxTextLength);

    public RealtimeTelemetry Telemetry { get; } = telemetry;

    public string ServerName { get; } = replica.Name;

    public TimeProvider Time { get; } = time;

    public ILogger Logger { get; } = logger;
}
