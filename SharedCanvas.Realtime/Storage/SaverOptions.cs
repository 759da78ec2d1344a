using System.ComponentModel.DataAnnotations;

namespace SharedCanvas.Realtime.Storage;

/// <summary>The background saver that folds board logs into snapshots (section <c>Saver</c>; docs/storage.md).</summary>
public sealed class SaverOptions
{
    public const string SectionName = "Saver";

    /// <summary>Whether this replica takes part in saving. Any number of replicas may; each entry is saved once.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How long a board's job waits before it is folded, so that busy boards are saved in batches.</summary>
    public TimeSpan SaveDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How often an idle saver looks for work.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>A job another saver took and has not finished for this long is taken over (that saver died).</summary>
    public TimeSpan ClaimIdleTime { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Log entries kept below the newest snapshot, so that a client that was away briefly gets a replay of
    /// what it missed rather than the whole board.
    /// </summary>
    [Range(0, 10_000_000)]
    public int KeepTail { get; set; } = 10_000;
}
