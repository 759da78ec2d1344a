using System.Buffers;
using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Aspire.Hosting.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace SharedCanvas.IntegrationTests;

/// <summary>The hostile suite, part: forged, expired and foreign tokens refused at the handshake (401).</summary>
public sealed partial class HostileInputTests
{
    // ---- Tokens at the handshake: 401 ----

    [Fact]
    public Task NoTokenIsRefusedWith401() => HandshakeIsRefusedAsync(null, HttpStatusCode.Unauthorized);

    [Fact]
    public Task EmptyTokenIsRefusedWith401() => HandshakeIsRefusedAsync("", HttpStatusCode.Unauthorized);

    [Fact]
    public Task GarbageTokenIsRefusedWith401() => HandshakeIsRefusedAsync("this.is.garbage", HttpStatusCode.Unauthorized);

    [Fact]
    public async Task AlgNoneTokenIsRefusedWith401()
    {
        var payload = TokenForge.Read(await MalloryTokenAsync()).EncodedPayload;
        await HandshakeIsRefusedAsync($"{Base64Url("""{"alg":"none","typ":"at+jwt"}""")}.{payload}.", HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Hs256TokenSignedWithTheSitesPublicKeyIsRefusedWith401()
    {
        var real = TokenForge.Read(await MalloryTokenAsync());
        var jwks = await new HttpClient { BaseAddress = stack.WebUrl }.GetStringAsync("/.well-known/jwks.json");
        var forged = new JsonWebTokenHandler().CreateToken(real.EncodedPayload is { } p ? Encoding.UTF8.GetString(Base64UrlEncoder.DecodeBytes(p)) : "",
            new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(jwks)) { KeyId = real.Kid }, SecurityAlgorithms.HmacSha256));
        await HandshakeIsRefusedAsync(forged, HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task TokenSignedByAForeignKeyWithAnUnknownKidIsRefusedWith401() =>
        await HandshakeIsRefusedAsync(TokenForge.ResignWithForeignKey(await MalloryTokenAsync(), keepKeyId: false), HttpStatusCode.Unauthorized);

    [Fact]
    public async Task TokenSignedByAForeignKeyClaimingTheSitesKidIsRefusedWith401() =>
        await HandshakeIsRefusedAsync(TokenForge.ResignWithForeignKey(await MalloryTokenAsync(), keepKeyId: true), HttpStatusCode.Unauthorized);

    /// <summary>The model's claims, signed with the attacker's key, with extra headers that point at the attacker's key.</summary>
    private static string SignWithHeaders(string model, Func<ECDsaSecurityKey, Dictionary<string, object>> headers, string keyId = "attacker")
    {
        var original = TokenForge.Read(model);
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var key = new ECDsaSecurityKey(ecdsa) { KeyId = keyId };
        var payload = Encoding.UTF8.GetString(Base64UrlEncoder.DecodeBytes(original.EncodedPayload));
        return new JsonWebTokenHandler().CreateToken(payload, new SigningCredentials(key, SecurityAlgorithms.EcdsaSha256), headers(key));
    }

    [Fact]
    public async Task JkuHeaderPointingAtAnAttackersKeySetIsIgnoredAndTheTokenRefusedWith401() =>
        await HandshakeIsRefusedAsync(SignWithHeaders(await MalloryTokenAsync(),
            _ => new() { ["jku"] = "http://127.0.0.1:9/attacker/jwks.json" }), HttpStatusCode.Unauthorized);

    [Fact]
    public async Task JwkHeaderCarryingTheAttackersOwnKeyIsIgnoredAndTheTokenRefusedWith401() =>
        await HandshakeIsRefusedAsync(SignWithHeaders(await MalloryTokenAsync(), key =>
        {
            var jwk = JsonWebKeyConverter.ConvertFromECDsaSecurityKey(key);
            return new() { ["jwk"] = new Dictionary<string, object> { ["kty"] = "EC", ["crv"] = "P-256", ["x"] = jwk.X, ["y"] = jwk.Y } };
        }), HttpStatusCode.Unauthorized);

    [Fact]
    public async Task X5uHeaderIsIgnoredAndTheTokenRefusedWith401() =>
        await HandshakeIsRefusedAsync(SignWithHeaders(await MalloryTokenAsync(),
            _ => new() { ["x5u"] = "http://127.0.0.1:9/attacker.pem" }), HttpStatusCode.Unauthorized);

    [Fact]
    public async Task KidWithAPathIsRefusedWith401() =>
        await HandshakeIsRefusedAsync(SignWithHeaders(await MalloryTokenAsync(), _ => [], keyId: "../../../../../../dev/null"), HttpStatusCode.Unauthorized);

    [Fact]
    public async Task TamperedPayloadIsRefusedWith401()
    {
        var parts = (await MalloryTokenAsync()).Split('.');
        var payload = JsonNode.Parse(Base64UrlEncoder.Decode(parts[1]))!;
        payload["role"] = "owner";
        await HandshakeIsRefusedAsync($"{parts[0]}.{Base64Url(payload.ToJsonString())}.{parts[2]}", HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task SiteSignedTokenWithAnotherIssuerIsRefusedWith401() =>
        await HandshakeIsRefusedAsync(stack.Keys.Sign(await MalloryTokenAsync(), t => t.Issuer = "https://evil.example"), HttpStatusCode.Unauthorized);

    [Fact]
    public async Task SiteSignedTokenForAnotherAudienceIsRefusedWith401() =>
        await HandshakeIsRefusedAsync(stack.Keys.Sign(await MalloryTokenAsync(), t => t.Audience = "sharedcanvas-api"), HttpStatusCode.Unauthorized);

    [Fact]
    public async Task TheSitesOwnApiTokenIsRefusedWith401()
    {
        using var response = await stack.Mallory.Http.PostAsJsonAsync("/api/auth/token", new { userName = stack.Mallory.UserName, password = Names.Password });
        var apiToken = (string)(await response.Content.ReadFromJsonAsync<JsonObject>())!["accessToken"]!;
        await HandshakeIsRefusedAsync(apiToken, HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task SiteSignedTokenOfAnotherTypeIsRefusedWith401() =>
        await HandshakeIsRefusedAsync(stack.Keys.Sign(await MalloryTokenAsync(), t => t.Type = "JWT"), HttpStatusCode.Unauthorized);

    [Fact]
    public async Task ExpiredTokenIsRefusedWith401() =>
        await HandshakeIsRefusedAsync(stack.Keys.Sign(await MalloryTokenAsync(), t =>
        {
            t.IssuedAt = t.NotBefore = DateTime.UtcNow.AddMinutes(-4);
            t.Expires = DateTime.UtcNow.AddMinutes(-1);
        }), HttpStatusCode.Unauthorized);

    [Fact]
    public async Task NotYetValidTokenIsRefusedWith401() =>
        await HandshakeIsRefusedAsync(stack.Keys.Sign(await MalloryTokenAsync(), t =>
        {
            t.IssuedAt = DateTime.UtcNow;
            t.NotBefore = DateTime.UtcNow.AddMinutes(3);
            t.Expires = DateTime.UtcNow.AddMinutes(5);
        }), HttpStatusCode.Unauthorized);

    [Fact]
    public async Task TokenLivingLongerThanFiveMinutesIsRefusedWith401() =>
        await HandshakeIsRefusedAsync(stack.Keys.Sign(await MalloryTokenAsync(), t => t.Expires = DateTime.UtcNow.AddDays(1)), HttpStatusCode.Unauthorized);

    [Fact]
    public async Task TokenWithoutARoleIsRefusedWith401() =>
        await HandshakeIsRefusedAsync(stack.Keys.Sign(await MalloryTokenAsync(), t => t.Claims.Remove("role")), HttpStatusCode.Unauthorized);

    [Fact]
    public async Task TokenWithAnUnknownRoleIsRefusedWith401() =>
        await HandshakeIsRefusedAsync(stack.Keys.Sign(await MalloryTokenAsync(), t => t.Claims["role"] = "admin"), HttpStatusCode.Unauthorized);

    [Fact]
    public async Task TokenWithoutAJtiIsRefusedWith401() =>
        await HandshakeIsRefusedAsync(stack.Keys.Sign(await MalloryTokenAsync(), t => t.Claims.Remove("jti")), HttpStatusCode.Unauthorized);

    [Fact]
    public async Task TokenForAnotherBoardIsRefusedWith401()
    {
        var otherBoard = await stack.Mallory.CreateBoardAsync();
        await HandshakeIsRefusedAsync((await stack.Mallory.GetRealtimeTokenAsync(otherBoard)).AccessToken, HttpStatusCode.Unauthorized);
    }
}
