using System.Net;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using SharedCanvas.Realtime.Auth;

namespace SharedCanvas.UnitTests;

public sealed class SiteKeySetTests
{
    [Fact]
    public async Task HandshakesArrivingTogetherOnAColdReplicaAllWaitForTheOneFetch()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var parameters = key.ExportParameters(includePrivateParameters: false);
        var jwks = $$"""{"keys":[{"kty":"EC","crv":"P-256","use":"sig","alg":"ES256","kid":"k1","x":"{{Base64UrlEncoder.Encode(parameters.Q.X)}}","y":"{{Base64UrlEncoder.Encode(parameters.Q.Y)}}"}]}""";
        var site = new SlowSite(jwks);
        var keys = new SiteKeySet(site, Options.Create(new RealtimeAuthOptions { JwksUrl = "https://web/.well-known/jwks.json" }), TimeProvider.System, NullLogger<SiteKeySet>.Instance);

        var found = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => keys.GetAsync("k1", CancellationToken.None)));

        Assert.All(found, set => Assert.Equal("k1", Assert.Single(set).KeyId));
        Assert.Equal(1, site.Fetches);
    }

    /// <summary>The site's JWKS endpoint, answering after a while, counting fetches.</summary>
    private sealed class SlowSite(string jwks) : HttpMessageHandler, IHttpClientFactory
    {
        private int _fetches;

        public int Fetches => _fetches;

        public HttpClient CreateClient(string name) => new(this, disposeHandler: false);

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _fetches);
            await Task.Delay(200, cancellationToken);
            return new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(jwks) };
        }
    }
}
