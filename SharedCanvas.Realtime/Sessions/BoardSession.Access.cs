using SharedCanvas.Realtime.Protocol;

namespace SharedCanvas.Realtime.Sessions;

/// <summary>The token side of <see cref="BoardSession"/>: in-band renewal, expiry, the hello deadline.</summary>
public sealed partial class BoardSession
{
    private async ValueTask HandleAuthAsync(string token)
    {
        var (principal, failure) = await _services.Tokens.ValidateAsync(token);
        if (principal is not null && principal.UserId == _principal.UserId && principal.BoardId == _principal.BoardId)
        {
            failure = await _services.Access.RefusalAsync(principal);
        }
        else
        {
            failure ??= "another user or board";
        }

        if (failure is not null || principal is null)
        {
            _services.Telemetry.Refuse(principal is null ? "auth_invalid" : "auth_mismatch");
            LogRenewalRefused(Id, failure ?? "invalid");
            RequestClose(CloseCodes.PolicyViolation, "token renewal refused");
            return;
        }

        _principal = principal;
        Enqueue(ServerMessages.AuthOk(principal.ExpiresAt));
    }

    private bool IsExpired(DateTimeOffset now) => now >= _principal.ExpiresAt + _services.Tokens.ClockSkew;

    /// <summary>Closes a session whose token expired or that never said hello; called by the registry's sweep.</summary>
    internal void Sweep(DateTimeOffset now)
    {
        if (_pump.CloseRequested)
        {
            return;
        }

        if (IsExpired(now))
        {
            _services.Telemetry.Refuse("token_expired");
            RequestClose(CloseCodes.TokenExpired, "token expired");
        }
        else if (_mode == Mode.AwaitingHello && now - OpenedAt > _services.Options.HelloTimeout)
        {
            _services.Telemetry.Refuse("no_hello");
            RequestClose(CloseCodes.PolicyViolation, "no hello");
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Socket {ConnectionId}: in-band token renewal refused ({Reason})")]
    private partial void LogRenewalRefused(string connectionId, string reason);
}
