using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace SharedCanvas.Realtime.Auth;

/// <summary>
/// The site's public keys, from its JWKS (and only from there: never from a token's headers). Fetched on
/// first use and every <see cref="RealtimeAuthOptions.JwksAutomaticRefreshInterval"/>; fetched at once when
/// a token names a key id the set does not hold (the site rotated), but at most every
/// <see cref="RealtimeAuthOptions.JwksMinimumRefreshInterval"/>, so unknown key ids cannot cause a storm of
/// fetches. A failed fetch keeps the last good set.
/// </summary>
public sealed partial class SiteKeySet(IHttpClientFactory httpClients, IOptions<RealtimeAuthOptions> options, TimeProvider time, ILogger<SiteKeySet> logger)
{
    private readonly SemaphoreSlim _fetching = new(1, 1);
    private volatile IReadOnlyList<SecurityKey> _keys = [];
    private DateTimeOffset _fetchedAt = DateTimeOffset.MinValue;
    private DateTimeOffset _lastAttempt = DateTimeOffset.MinValue;

    /// <summary>The keys, fetched again if the set is old or does not hold <paramref name="keyId"/>.</summary>
    public async Task<IReadOnlyList<SecurityKey>> GetAsync(string? keyId, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var now = time.GetUtcNow();
        var stale = now - _fetchedAt > settings.JwksAutomaticRefreshInterval;
        var unknown = keyId is not null && !_keys.Any(k => k.KeyId == keyId);
        if (stale || unknown)
        {
            if (now - _lastAttempt >= settings.JwksMinimumRefreshInterval)
            {
                await RefreshAsync(cancellationToken);
            }
            else if (unknown)
            {
                // A fetch may be under way (the first handshakes after a start arrive together): its
                // result, not the set it replaces, decides.
                await _fetching.WaitAsync(cancellationToken);
                _fetching.Release();
            }
        }

        return _keys;
    }

    private async Task RefreshAsync(CancellationToken cancellationToken)
    {
        await _fetching.WaitAsync(cancellationToken);
        try
        {
            var now = time.GetUtcNow();
            if (now - _lastAttempt < options.Value.JwksMinimumRefreshInterval)
            {
                return; // another caller just fetched
            }

            _lastAttempt = now;
            var url = new Uri(options.Value.JwksUrl);
            if (options.Value.RequireHttpsMetadata && url.Scheme != Uri.UriSchemeHttps)
            {
                throw new InvalidOperationException($"Auth:JwksUrl must use https (it is {url}); set Auth:RequireHttpsMetadata=false only inside a trusted network.");
            }

            var json = await httpClients.CreateClient(nameof(SiteKeySet)).GetStringAsync(url, cancellationToken);
            var keys = new JsonWebKeySet(json).GetSigningKeys();
            if (keys.Count == 0)
            {
                throw new InvalidOperationException("The site's key set holds no signing keys.");
            }

            _keys = [.. keys];
            _fetchedAt = now;
            LogFetched(keys.Count);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or ArgumentException or InvalidOperationException)
        {
            LogFetchFailed(ex);
        }
        finally
        {
            _fetching.Release();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Fetched the site's key set ({Count} keys)")]
    private partial void LogFetched(int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not fetch the site's key set; keeping the last one")]
    private partial void LogFetchFailed(Exception exception);
}
