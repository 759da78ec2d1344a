namespace SharedCanvas.Contracts;

/// <summary>
/// The rule both services follow for their database (docs/operations.md, "When a dependency is away"): a
/// database that cannot be reached is an outage to wait out, never a reason for a process to end. A
/// background loop logs it and tries again; a start-up check waits for the database to answer.
/// </summary>
public static class DatabaseOutage
{
    /// <summary>
    /// How often a service's command is tried again after a transient failure. After the database restarts, every
    /// connection its pool held is broken, and Npgsql finds that out only by using one (it checks none on the way
    /// out of the pool): each try draws another, and a few cover a restart without hiding a real outage for long.
    /// </summary>
    public const int BrokenConnectionRetries = 3;

    /// <summary>The longest pause between those tries (EF Core's back-off starts near 0 and grows to this).</summary>
    public static readonly TimeSpan BrokenConnectionRetryDelay = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Whether an exception says the database could not be reached or answered: a provider's own exception
    /// (SQLite's or Npgsql's are <see cref="System.Data.Common.DbException"/>s), a time-out, or EF Core's
    /// wrapping of a transient one ("consider enabling transient error resiliency").
    /// </summary>
    public static bool Is(Exception exception) => exception switch
    {
        System.Data.Common.DbException or TimeoutException => true,
        InvalidOperationException { InnerException: { } inner } => Is(inner),
        _ => exception.InnerException is System.Data.Common.DbException,
    };

    /// <summary>
    /// Runs <paramref name="check"/> until it gets through to the database: each failure that <see cref="Is"/>
    /// an outage is reported to <paramref name="waiting"/> (attempt, exception), then retried after a pause
    /// growing to 5 s. Any other exception, or cancellation, ends it.
    /// </summary>
    public static async Task<T> WaitForAsync<T>(Func<CancellationToken, Task<T>> check, Action<int, Exception> waiting, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await check(cancellationToken);
            }
            catch (Exception ex) when (Is(ex) && !cancellationToken.IsCancellationRequested)
            {
                waiting(attempt, ex);
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(5, attempt)), cancellationToken);
            }
        }
    }
}
