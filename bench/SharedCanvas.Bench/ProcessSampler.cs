using System.Globalization;

namespace SharedCanvas.Bench;

/// <summary>
/// CPU time and resident memory of the processes under measurement, read from <c>/proc</c>: every
/// realtime replica (the application process, not the <c>dotnet run</c> wrapper Aspire starts it with),
/// redis-server, and this load generator. CPU is reported in percent of one core (200 % = both cores).
/// </summary>
internal sealed class ProcessSampler
{
    private const double ClockTicksPerSecond = 100; // USER_HZ on Linux

    private readonly Dictionary<string, int[]> _groups;
    private readonly Dictionary<string, long> _startTicks = [];
    private readonly Dictionary<string, long> _peakRss = [];
    private DateTime _startedAt;

    private ProcessSampler(Dictionary<string, int[]> groups) => _groups = groups;

    /// <summary>The stack's processes by their ids (a stack the benchmark started), and the load generator.</summary>
    public static ProcessSampler For(int[] realtime, int[] redis) => new(new Dictionary<string, int[]>
    {
        ["realtime"] = realtime,
        ["redis"] = redis,
        ["generator"] = [Environment.ProcessId],
    });

    /// <summary>A running stack's processes, found by their command lines: realtime replicas (not the <c>dotnet run</c> wrappers), redis-server.</summary>
    public static ProcessSampler Find() => For(
        FindProcesses(args => !args.Contains("run") && args.Any(a =>
            a.EndsWith("/SharedCanvas.Realtime", StringComparison.Ordinal) || a.EndsWith("/SharedCanvas.Realtime.dll", StringComparison.Ordinal))),
        FindProcesses(args => args.Length > 0 && Path.GetFileName(args[0]).StartsWith("redis-server", StringComparison.Ordinal)));

    public IReadOnlyList<int> Pids(string group) => _groups[group];

    /// <summary>Resident memory of a group now, in bytes.</summary>
    public long Rss(string group) => _groups[group].Sum(ReadRss);

    public void Start()
    {
        _startedAt = DateTime.UtcNow;
        foreach (var (group, pids) in _groups)
        {
            _startTicks[group] = pids.Sum(ReadCpuTicks);
            _peakRss[group] = Rss(group);
        }
    }

    /// <summary>Call now and then during the run: keeps the peak resident memory.</summary>
    public void Sample()
    {
        foreach (var group in _groups.Keys)
        {
            _peakRss[group] = Math.Max(_peakRss[group], Rss(group));
        }
    }

    /// <summary>CPU of a group since <see cref="Start"/>, in percent of one core.</summary>
    public double CpuPercent(string group)
    {
        var seconds = (DateTime.UtcNow - _startedAt).TotalSeconds;
        var ticks = _groups[group].Sum(ReadCpuTicks) - _startTicks[group];
        return seconds <= 0 ? 0 : ticks / ClockTicksPerSecond / seconds * 100;
    }

    public long PeakRss(string group) => _peakRss[group];

    private static int[] FindProcesses(Func<string[], bool> matches)
    {
        var found = new List<int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid))
            {
                continue;
            }

            try
            {
                var args = File.ReadAllText(Path.Combine(directory, "cmdline")).Split('\0', StringSplitOptions.RemoveEmptyEntries);
                if (matches(args))
                {
                    found.Add(pid);
                }
            }
            catch (IOException)
            {
                // The process ended meanwhile.
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        return [.. found];
    }

    private static long ReadCpuTicks(int pid)
    {
        try
        {
            // Fields after the command name (which may hold spaces, inside parentheses): utime is the 14th, stime the 15th.
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return 0;
        }
    }

    private static long ReadRss(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
                }
            }
        }
        catch (IOException)
        {
        }

        return 0;
    }
}
