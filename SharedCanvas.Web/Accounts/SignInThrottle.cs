using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;
using SharedCanvas.Web.Extensions;

namespace SharedCanvas.Web.Accounts;

/// <summary>
/// Slows password guessing down per account without handing anyone a way to lock a person out
/// (docs/security.md, "Guessing"). Failed attempts are counted per account name as typed (whether or not
/// the account exists, so that the answer says nothing about it) — except from a browser that signed in to
/// that account before (<see cref="TrustedDevices"/>), whose failures count against that browser alone. When
/// a budget is spent, attempts on it are refused with 429 before any password is checked; nothing else is
/// affected: existing cookies, refresh tokens and sockets live on, and the person signs in from a browser they
/// used before. Counters are per site replica (like the per-address limits).
/// </summary>
public sealed class SignInThrottle : IDisposable
{
    private readonly PartitionedRateLimiter<string> _failures;

    public SignInThrottle(IOptions<RateLimitOptions> options)
    {
        var limits = options.Value;
        _failures = PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetFixedWindowLimiter(key, _ =>
            new FixedWindowRateLimiterOptions
            {
                PermitLimit = key.StartsWith(DevicePrefix, StringComparison.Ordinal) ? limits.FailedSignInsPerDevice : limits.FailedSignInsPerAccount,
                Window = limits.FailedSignInWindow,
                QueueLimit = 0,
                AutoReplenishment = true,
            }));
        Window = limits.FailedSignInWindow;
    }

    private const string DevicePrefix = "device:";

    /// <summary>How long a spent budget stays spent at most.</summary>
    public TimeSpan Window { get; }

    /// <summary>The budget an attempt counts against: its trusted browser's, else the account name's.</summary>
    public static string BudgetFor(string normalizedUserName, string? trustedDevice) =>
        trustedDevice is not null ? DevicePrefix + trustedDevice : "account:" + normalizedUserName;

    /// <summary>Whether the budget has no failure left (then the attempt is refused unchecked).</summary>
    public bool IsSpent(string budget)
    {
        using var lease = _failures.AttemptAcquire(budget, 0);
        return !lease.IsAcquired;
    }

    /// <summary>Counts one failed attempt.</summary>
    public void Fail(string budget) => _failures.AttemptAcquire(budget).Dispose();

    public void Dispose() => _failures.Dispose();
}
