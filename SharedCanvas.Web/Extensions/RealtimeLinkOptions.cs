using System.ComponentModel.DataAnnotations;

namespace SharedCanvas.Web.Extensions;

/// <summary>Where browsers reach the realtime service (section <c>Realtime</c>).</summary>
public sealed class RealtimeLinkOptions
{
    public const string SectionName = "Realtime";

    /// <summary>The realtime service's public address, for example <c>http://localhost:5090</c>.</summary>
    [Required, Url]
    public string PublicUrl { get; set; } = "";

    /// <summary>The WebSocket URL of one board.</summary>
    public string BoardSocketUrl(string boardId)
    {
        var uri = new Uri(PublicUrl);
        var scheme = uri.Scheme == Uri.UriSchemeHttps ? "wss" : "ws";
        return $"{scheme}://{uri.Authority}{uri.AbsolutePath.TrimEnd('/')}/ws/boards/{boardId}";
    }
}
