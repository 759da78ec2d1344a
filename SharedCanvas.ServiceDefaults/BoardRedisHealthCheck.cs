using Microsoft.Extensions.Diagnostics.HealthChecks;
using StackExchange.Redis;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Whether Redis serves this process: a primary answers, and in a cluster every slot is served. Not whether
/// every node answers — the check Aspire's Redis client brings asks each one, so one dead node of a cluster
/// whose replica has long taken over made every service unhealthy, and a load balancer would take them all away.
/// </summary>
public sealed class BoardRedisHealthCheck(IConnectionMultiplexer redis) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        foreach (var server in redis.GetServers().Where(s => s.IsConnected && !s.IsReplica))
        {
            try
            {
                if (server.ServerType != ServerType.Cluster)
                {
                    await server.PingAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
                    return HealthCheckResult.Healthy();
                }

                var info = (string?)await server.ExecuteAsync("CLUSTER", "INFO").WaitAsync(cancellationToken).ConfigureAwait(false) ?? "";
                return info.Contains("cluster_state:ok", StringComparison.Ordinal)
                    ? HealthCheckResult.Healthy()
                    : HealthCheckResult.Unhealthy("The Redis Cluster does not serve every slot.");
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                // That primary went away since it was counted: ask the next.
            }
        }

        return HealthCheckResult.Unhealthy("No Redis primary answers.");
    }
}
