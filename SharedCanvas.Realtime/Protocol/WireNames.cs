namespace SharedCanvas.Realtime.Protocol;

/// <summary>The protocol's names of message types and operation kinds (docs/protocol.md §4–5), for telemetry.</summary>
public static class WireNames
{
    public static string Of(ClientMessageType type) => type switch
    {
        ClientMessageType.Op => "op",
        ClientMessageType.Hello => "hello",
        ClientMessageType.Auth => "auth",
        ClientMessageType.Cursor => "cursor",
        ClientMessageType.Ping => "ping",
        ClientMessageType.History => "history",
        ClientMessageType.Version => "version",
        _ => "unknown",
    };

    public static string Of(OpKind kind) => kind switch
    {
        OpKind.Add => "add",
        OpKind.Points => "points",
        OpKind.End => "end",
        OpKind.Update => "update",
        OpKind.Delete => "delete",
        OpKind.Restore => "restore",
        _ => "clear",
    };
}
