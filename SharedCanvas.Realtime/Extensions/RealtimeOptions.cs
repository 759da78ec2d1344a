using System.ComponentModel.DataAnnotations;

namespace SharedCanvas.Realtime.Extensions;

/// <summary>Limits and timings of the realtime service (section <c>Realtime</c>); see docs/security.md.</summary>
public sealed class RealtimeOptions
{
    public const string SectionName = "Realtime";

    /// <summary>Origins whose pages may open sockets (the site's). Requests without an Origin are judged by their token.</summary>
    public string[] AllowedOrigins { get; set; } = [];

    /// <summary>Largest incoming message, after reassembling its frames; larger closes with 1009.</summary>
    [Range(1024, 16 * 1024 * 1024)]
    public int MaxMessageBytes { get; set; } = 64 * 1024;

    /// <summary>Most points in one operation.</summary>
    [Range(1, 100_000)]
    public int MaxPointsPerBatch { get; set; } = 1000;

    /// <summary>Longest text element, in UTF-16 characters.</summary>
    [Range(1, 1_000_000)]
    public int MaxTextLength { get; set; } = 10_000;

    /// <summary>Messages waiting to be written to one socket; a socket that lets more pile up is closed with 1013.</summary>
    [Range(16, 1_000_000)]
    public int SendQueueCapacity { get; set; } = 4096;

    /// <summary>How long a socket may stay open without sending <c>hello</c>.</summary>
    public TimeSpan HelloTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often the server pings each socket.</summary>
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How long a ping may stay unanswered before the socket is closed.</summary>
    public TimeSpan KeepAliveTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
