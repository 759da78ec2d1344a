using SharedCanvas.Bench;

namespace SharedCanvas.IntegrationTests;

/// <summary>
/// The load benchmark in its smoke mode (20 sockets, 2 boards, a few seconds) against the shared stack,
/// so that it keeps working. It checks what a benchmark run must get right — every delivery arrives, in
/// order, nothing refused — not how fast: speed is the benchmark's table (docs/performance.md).
/// </summary>
[Collection(StackCollection.Name)]
public sealed class BenchSmokeTests(StackFixture stack, ITestOutputHelper output)
{
    [Fact]
    public async Task SmokeRunDeliversEveryOperationToEveryOtherSocketOfItsBoard()
    {
        await using var bench = BenchStack.Over(stack);
        var log = new StringWriter();
        var result = await LoadScenario.RunAsync(bench, LoadOptions.Preset("smoke")!, log);

        var table = new StringWriter();
        LoadResult.PrintHeader(table);
        result.Print(table);
        output.WriteLine(log.ToString());
        output.WriteLine(table.ToString());
        Assert.True(result.Delivered > 0, "nothing was delivered");
        Assert.Equal(0, result.Lost);
        Assert.Equal(0, result.Unacknowledged);
        Assert.Equal(0, result.SequenceGaps);
        Assert.Equal(0, result.Errors + result.Closes);
        Assert.True(result.Latency.TotalCount > 0, "no delivery was timed");
        Assert.Equal(20, result.Pongs);
    }
}
