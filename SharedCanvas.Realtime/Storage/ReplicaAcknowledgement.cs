using System.Collections.Concurrent;
using System.Net;
using StackExchange.Redis;

namespace SharedCanvas.Realtime.Storage;

/// <summary>
/// Whether a Redis node's replicas hold what this process wrote to it: <c>WAIT</c> after an append, which
/// covers every write this connection made before it — the append script's too, since a node is reached over
/// one connection (docs/storage.md, "Acknowledgement in a Redis Cluster").
/// <para>
/// It waits for every replica that could take the node's place: in a cluster, each replica of the node that
/// the cluster has not marked failed (a replica that is only slow, hung or cut off for less than the node
/// timeout is still one, and an operation it lacks is not acknowledged). A node with no such replica — its
/// replica took over from it and the old primary has not come back, or the cluster marked its replica failed,
/// which then may not take over (<c>cluster-replica-validity-factor 1</c>) — cannot lose an operation to a
/// failover: its boards go on, acknowledged on its append-only file, as on a standalone Redis. That is logged
/// when it begins and ends, not per operation. Outside a cluster, the replicas connected now count.
/// </para>
/// </summary>
public sealed partial class ReplicaAcknowledgement(int replicas, TimeSpan timeout, ILogger logger)
{
    private readonly long _timeoutMs = (long)timeout.TotalMilliseconds;
    private readonly ConcurrentDictionary<EndPoint, Successors> _successors = new();

    /// <summary>True once the node's replicas (up to the configured number, as many as could take over from it) hold its writes.</summary>
    public async Task<bool> ConfirmAsync(IServer node)
    {
        if (node.IsReplica)
        {
            throw new InvalidOperationException($"{node.EndPoint} is a replica: WAIT must be asked of the primary that took the writes.");
        }

        var needed = Math.Min(replicas, await SuccessorsAsync(node).ConfigureAwait(false));
        return needed == 0 || (long)await node.ExecuteAsync("WAIT", needed, _timeoutMs).ConfigureAwait(false) >= needed;
    }

    /// <summary>How many replicas could take over from a node, as it said within the last second.</summary>
    private async ValueTask<int> SuccessorsAsync(IServer node)
    {
        var successors = _successors.GetOrAdd(node.EndPoint, static _ => new Successors());
        if (successors.Count >= 0 && Environment.TickCount64 - successors.CheckedAt < 1000)
        {
            return successors.Count;
        }

        Task refresh;
        lock (successors)
        {
            // Appends arriving together share one question.
            refresh = successors.Refresh ??= RefreshAsync(node, successors);
        }

        await refresh.ConfigureAwait(false);
        return successors.Count;
    }

    private async Task RefreshAsync(IServer node, Successors successors)
    {
        try
        {
            var count = await CountAsync(node).ConfigureAwait(false);
            var was = successors.Count;
            successors.Count = count;
            successors.CheckedAt = Environment.TickCount64;
            if (was > 0 && count == 0)
            {
                LogNoReplica(node.EndPoint.ToString() ?? "?");
            }
            else if (was == 0 && count > 0)
            {
                LogReplicaBack(node.EndPoint.ToString() ?? "?", count);
            }
        }
        finally
        {
            lock (successors)
            {
                successors.Refresh = null;
            }
        }
    }

    private static async Task<int> CountAsync(IServer node)
    {
        if (node.ServerType != ServerType.Cluster)
        {
            // ROLE, not INFO (which the client keeps for admin connections): a primary lists its connected replicas.
            return await node.RoleAsync().ConfigureAwait(false) is Role.Master primary ? primary.Replicas.Count : 0;
        }

        // "<id> <address> <flags> <primary id or -> …" per node; flags such as myself, master, slave, fail?, fail.
        var nodes = ((string?)await node.ExecuteAsync("CLUSTER", "NODES").ConfigureAwait(false) ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var fields = nodes.Select(line => line.Split(' ')).Where(f => f.Length >= 4).ToArray();
        var self = fields.FirstOrDefault(f => f[2].Split(',').Contains("myself"))?[0];
        return fields.Count(f => f[3] == self && f[2].Split(',') is var flags && flags.Contains("slave") && !flags.Contains("fail"));
    }

    private sealed class Successors
    {
        public volatile int Count = -1;
        public long CheckedAt;
        public Task? Refresh;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis node {Node} has no replica that could take over from it: its boards are acknowledged on its append-only file alone until one is back")]
    private partial void LogNoReplica(string node);

    [LoggerMessage(Level = LogLevel.Information, Message = "Redis node {Node} has {Replicas} replica(s) again: acknowledgements wait for them")]
    private partial void LogReplicaBack(string node, int replicas);
}
