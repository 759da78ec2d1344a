using System.Net;
using SharedCanvas.Realtime.Apis;

namespace SharedCanvas.IntegrationTests;

/// <summary>Everything is checked before the WebSocket upgrade (docs/protocol.md §1).</summary>
[Collection(StackCollection.Name)]
public sealed class HandshakeTests(StackFixture stack)
{
    private Task<(SiteClient Person, string BoardId, RealtimeToken Token)> ArrangeAsync() => stack.RegisterWithBoardAsync();

    [Fact]
    public async Task ValidTokenFromTheSitesOriginOpensTheSocket()
    {
        var (person, _, token) = await ArrangeAsync();
        using var _ = person;

        Assert.Equal(HttpStatusCode.SwitchingProtocols, await BoardSocket.HandshakeStatusAsync(token.Url, token.AccessToken, stack.WebOrigin));
    }

    [Fact]
    public async Task TheTokenTravelsAsASubprotocolAndOnlyTheProtocolNameIsSelected()
    {
        var (person, _, token) = await ArrangeAsync();
        using var _ = person;

        await using var socket = await BoardSocket.ConnectAsync(token, stack.WebOrigin);
        await socket.JoinAsync();
        Assert.Equal(BoardSocketApi.Subprotocol, socket.SelectedSubprotocol);
        Assert.DoesNotContain("access_token", token.Url);
    }

    [Fact]
    public async Task TokenInTheQueryStringStillOpensTheSocketForOlderClients()
    {
        var (person, _, token) = await ArrangeAsync();
        using var _ = person;

        Assert.Equal(HttpStatusCode.SwitchingProtocols, await BoardSocket.HandshakeStatusAsync(token.Url, token.AccessToken, stack.WebOrigin, tokenInQuery: true));
        Assert.Equal(HttpStatusCode.Unauthorized, await BoardSocket.HandshakeStatusAsync(token.Url, token.AccessToken + "x", stack.WebOrigin, tokenInQuery: true));
    }

    [Fact]
    public async Task HandshakeWithoutTokenIsRefusedWith401()
    {
        var (person, _, token) = await ArrangeAsync();
        using var _ = person;

        Assert.Equal(HttpStatusCode.Unauthorized, await BoardSocket.HandshakeStatusAsync(token.Url, null, stack.WebOrigin));
    }

    [Fact]
    public async Task HandshakeWithGarbageTokenIsRefusedWith401()
    {
        var (person, _, token) = await ArrangeAsync();
        using var _ = person;

        Assert.Equal(HttpStatusCode.Unauthorized, await BoardSocket.HandshakeStatusAsync(token.Url, "not-a-token", stack.WebOrigin));
        Assert.Equal(HttpStatusCode.Unauthorized, await BoardSocket.HandshakeStatusAsync(token.Url, "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", stack.WebOrigin));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task HandshakeWithTokenSignedByAnotherKeyIsRefusedWith401(bool claimTheSitesKeyId)
    {
        var (person, _, token) = await ArrangeAsync();
        using var _ = person;
        var forged = TokenForge.ResignWithForeignKey(token.AccessToken, claimTheSitesKeyId);

        Assert.Equal(HttpStatusCode.Unauthorized, await BoardSocket.HandshakeStatusAsync(token.Url, forged, stack.WebOrigin));
    }

    [Fact]
    public async Task HandshakeWithTokenForAnotherBoardIsRefusedWith401()
    {
        var (person, _, token) = await ArrangeAsync();
        using var _ = person;
        var otherBoard = await person.CreateBoardAsync();
        var otherToken = await person.GetRealtimeTokenAsync(otherBoard);

        Assert.Equal(HttpStatusCode.Unauthorized, await BoardSocket.HandshakeStatusAsync(token.Url, otherToken.AccessToken, stack.WebOrigin));
    }

    [Fact]
    public async Task HandshakeFromAForeignOriginIsRefusedWith403()
    {
        var (person, _, token) = await ArrangeAsync();
        using var _ = person;

        Assert.Equal(HttpStatusCode.Forbidden, await BoardSocket.HandshakeStatusAsync(token.Url, token.AccessToken, "https://evil.example"));
    }

    [Fact]
    public async Task HandshakeForAMalformedBoardIdIsRefusedWith400()
    {
        var (person, boardId, token) = await ArrangeAsync();
        using var _ = person;

        Assert.Equal(HttpStatusCode.BadRequest, await BoardSocket.HandshakeStatusAsync(token.Url.Replace(boardId, "not-a-board"), token.AccessToken, stack.WebOrigin));
    }
}
