using System.ComponentModel.DataAnnotations;

namespace SharedCanvas.Realtime.Auth;

/// <summary>How the realtime service verifies the site's tokens (section <c>Auth</c>).</summary>
public sealed class RealtimeAuthOptions
{
    public const string SectionName = "Auth";

    /// <summary>The only accepted <c>iss</c>: the site's public address.</summary>
    [Required]
    public string Issuer { get; set; } = "";

    /// <summary>The only accepted <c>aud</c>.</summary>
    [Required]
    public string Audience { get; set; } = "sharedcanvas-realtime";

    /// <summary>Where the site publishes its public keys; resolved with service discovery.</summary>
    [Required, Url]
    public string JwksUrl { get; set; } = "http://web/.well-known/jwks.json";

    public bool RequireHttpsMetadata { get; set; } = true;

    /// <summary>Shortest time between two fetches of the key set, so unknown <c>kid</c>s cannot cause a fetch storm.</summary>
    public TimeSpan JwksMinimumRefreshInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long the key set is trusted before it is fetched again anyway.</summary>
    public TimeSpan JwksAutomaticRefreshInterval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>The longest lifetime (exp − iat) an accepted token may have; longer-lived tokens are refused.</summary>
    [Range(typeof(TimeSpan), "00:00:30", "00:05:00")]
    public TimeSpan MaxTokenLifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Allowed clock difference with the site. At most 30 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:30")]
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(30);
}
