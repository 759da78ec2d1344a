using System.Globalization;

namespace SharedCanvas.Bench;

/// <summary>
/// <c>dotnet run --project bench/SharedCanvas.Bench -c Release -- &lt;scenario&gt; [options]</c>
/// <list type="bullet">
/// <item><c>--site URL</c>: a running stack's site (default: start a stack of our own on a temporary data directory)</item>
/// <item><c>--elements N</c>, <c>--runs N</c>: scenario sizes</item>
/// </list>
/// </summary>
internal static class BenchCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help")
        {
            Console.WriteLine("""
                usage: SharedCanvas.Bench <scenario> [--site URL] [--elements N] [--runs N]
                scenarios:
                  late-join   open an N-element board (default 10,000); time to receive and apply it
                """);
            return args.Length == 0 ? 1 : 0;
        }

        var options = BenchOptions.Parse(args.Skip(1).ToArray());
        await using var stack = await BenchStack.StartAsync(options.Site);
        switch (args[0])
        {
            case "late-join":
                await LateJoinScenario.RunAsync(stack, options);
                return 0;
            default:
                Console.Error.WriteLine($"unknown scenario '{args[0]}'");
                return 1;
        }
    }
}

internal sealed record BenchOptions(Uri? Site, int Elements, int Runs)
{
    public static BenchOptions Parse(string[] args)
    {
        Uri? site = null;
        var elements = 10_000;
        var runs = 5;
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--site": site = new Uri(value); i++; break;
                case "--elements": elements = int.Parse(value, CultureInfo.InvariantCulture); i++; break;
                case "--runs": runs = int.Parse(value, CultureInfo.InvariantCulture); i++; break;
                default: throw new ArgumentException($"unknown option {args[i]}");
            }
        }

        return new BenchOptions(site, elements, runs);
    }
}
