using System.ComponentModel.DataAnnotations;

namespace SharedCanvas.Web.Tokens;

/// <summary>Settings of the tokens the site issues (section <c>Auth</c>).</summary>
public sealed class AuthOptions
{
    public const string SectionName = "Auth";

    /// <summary>The <c>iss</c> of every token: the site's public address.</summary>
    [Required]
    public string Issuer { get; set; } = "";

    /// <summary>The <c>aud</c> of tokens for the realtime service.</summary>
    [Required]
    public string RealtimeAudience { get; set; } = "sharedcanvas-realtime";

    /// <summary>The <c>aud</c> of tokens for the site's own API (cookie-less clients).</summary>
    [Required]
    public string ApiAudience { get; set; } = "sharedcanvas-api";

    /// <summary>How long an access token lives. Short: clients renew in-band.</summary>
    [Range(typeof(TimeSpan), "00:00:30", "00:05:00")]
    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long a signing key signs before a new one replaces it (it is published a while longer).</summary>
    [Range(typeof(TimeSpan), "00:00:05", "365.00:00:00")]
    public TimeSpan SigningKeyLifetime { get; set; } = TimeSpan.FromDays(30);

    /// <summary>How long a new key is published before it signs (longer than the realtime service's key-set refresh).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan SigningKeyActivationDelay { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>How often every replica reloads the key set (to pick up a key another replica created) and rotates when due.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan KeyReloadInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Absolute lifetime of a refresh-token family (cookie-less clients); rotation does not extend it.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "90.00:00:00")]
    public TimeSpan RefreshTokenLifetime { get; set; } = TimeSpan.FromDays(14);
}
