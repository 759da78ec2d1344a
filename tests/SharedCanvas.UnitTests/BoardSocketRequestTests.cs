using System.Buffers;
using System.Text;
using SharedCanvas.Realtime.Apis;

namespace SharedCanvas.UnitTests;

/// <summary>
/// The bare connection's reading of a board socket's upgrade: it takes only what is plainly one, and leaves
/// everything else — untouched — to the HTTP server.
/// </summary>
public sealed class BoardSocketRequestTests
{
    private const string Key = "dGhlIHNhbXBsZSBub25jZQ==";

    private static string Head(string target = "/ws/boards/0123456789abcdef0123456789abcdef", string? extra = null, string? without = null)
    {
        var lines = new List<string>
        {
            $"GET {target} HTTP/1.1",
            "Host: localhost:5090",
            "Upgrade: websocket",
            "Connection: keep-alive, Upgrade",
            "Sec-WebSocket-Version: 13",
            $"Sec-WebSocket-Key: {Key}",
            "Origin: http://localhost:5080",
            "Sec-WebSocket-Protocol: sharedcanvas.v1, access_token.eyJh.eyJi.c2ln",
            "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits",
        };
        if (without is not null)
        {
            lines.RemoveAll(l => l.StartsWith(without + ":", StringComparison.OrdinalIgnoreCase));
        }

        if (extra is not null)
        {
            lines.Add(extra);
        }

        return string.Join("\r\n", lines);
    }

    private static BoardSocketRequest? Parse(string head) => BoardSocketRequest.Parse(Encoding.ASCII.GetBytes(head));

    private static string BoardId => "0123456789abcdef0123456789abcdef";

    [Fact]
    public void APlainUpgradeIsTakenWithItsBoardOriginTokenAndProtocol()
    {
        Assert.True(Contracts.BoardIds.IsValid(BoardId), "the sample id must be a board id");
        var request = Parse(Head(extra: "traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));

        Assert.NotNull(request);
        Assert.Equal(BoardId, request.BoardId);
        Assert.Equal(Key, request.Key);
        Assert.Equal("http://localhost:5080", request.Origin);
        Assert.Equal("eyJh.eyJi.c2ln", request.Token);
        Assert.True(request.OffersProtocol);
        Assert.Equal("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", request.TraceParent);
    }

    [Fact]
    public void HeaderNamesAreCaseInsensitiveAndProtocolsMayComeInSeveralHeaders()
    {
        var head = Head(without: "Sec-WebSocket-Protocol").Replace("Upgrade: websocket", "UPGRADE: WebSocket")
            + "\r\nsec-websocket-protocol: access_token.abc\r\nSec-WebSocket-Protocol: sharedcanvas.v1";

        var request = Parse(head);

        Assert.NotNull(request);
        Assert.Equal("abc", request.Token);
        Assert.True(request.OffersProtocol);
    }

    [Fact]
    public void AnOlderClientsTokenIsReadFromTheQuery()
    {
        var request = Parse(Head(target: $"/ws/boards/{BoardId}?x=1&access_token=eyJh.eyJi.c2l%2Dn", without: "Sec-WebSocket-Protocol"));

        Assert.NotNull(request);
        Assert.Equal("eyJh.eyJi.c2l-n", request.Token);
        Assert.False(request.OffersProtocol);
    }

    [Theory]
    [InlineData("another path", "GET /ws/boards/0123456789abcdef0123456789abcdef/x HTTP/1.1", null, null)]
    [InlineData("not a board id", "GET /ws/boards/not-a-board HTTP/1.1", null, null)]
    [InlineData("HTTP/1.0", "GET /ws/boards/0123456789abcdef0123456789abcdef HTTP/1.0", null, null)]
    [InlineData("a space in the target", "GET /ws/boards/0123456789abcdef0123456789abcdef?a=b c HTTP/1.1", null, null)]
    [InlineData("no Host", null, null, "Host")]
    [InlineData("no Upgrade", null, null, "Upgrade")]
    [InlineData("no Connection: Upgrade", null, null, "Connection")]
    [InlineData("no version", null, null, "Sec-WebSocket-Version")]
    [InlineData("no key", null, null, "Sec-WebSocket-Key")]
    [InlineData("another version", null, "Sec-WebSocket-Version: 8", "Sec-WebSocket-Version")]
    [InlineData("a key of 8 bytes", null, "Sec-WebSocket-Key: c2hvcnRrZXk=", "Sec-WebSocket-Key")]
    [InlineData("two Origins", null, "Origin: https://evil.example", null)]
    [InlineData("two Hosts", null, "Host: evil.example", null)]
    [InlineData("two keys", null, "Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA==", null)]
    [InlineData("a body", null, "Content-Length: 5", null)]
    [InlineData("a chunked body", null, "Transfer-Encoding: chunked", null)]
    [InlineData("a folded line", null, " folded", null)]
    [InlineData("whitespace before a colon", null, "X-Odd : 1", null)]
    [InlineData("a line with no colon", null, "X-Odd", null)]
    [InlineData("a bare LF", null, "X-A: 1\nX-B: 2", null)]
    [InlineData("a byte beyond ASCII", null, "X-Name: caf\u00e9", null)]
    [InlineData("a control byte", null, "X-Name: a\u0001b", null)]
    public void AnythingNotPlainlyAnUpgradeIsLeftToTheHttpServer(string what, string? requestLine, string? extra, string? without)
    {
        var head = Head(extra: extra, without: without);
        if (requestLine is not null)
        {
            head = requestLine + head[head.IndexOf("\r\n", StringComparison.Ordinal)..];
        }

        var bytes = Encoding.Latin1.GetBytes(head);
        Assert.True(BoardSocketRequest.Parse(bytes) is null, what);
    }

    [Fact]
    public void TheFirstBytesSayEarlyWhetherTheConnectionMayBeOurs()
    {
        Assert.Equal(BoardSocketRequest.Look.NeedMore, Examine("GET /ws/bo"));
        Assert.Equal(BoardSocketRequest.Look.NeedMore, Examine("GET /ws/boards/0123456789abcdef0123456789abcdef HTTP/1.1\r\nHost: x\r\n"));
        Assert.Equal(BoardSocketRequest.Look.NotOurs, Examine("GET /health HTTP/1.1\r\n"));
        Assert.Equal(BoardSocketRequest.Look.NotOurs, Examine("POST /ws/boards/"));
        Assert.Equal(BoardSocketRequest.Look.NotOurs, Examine("\u0016\u0003\u0001")); // a TLS ClientHello
        Assert.Equal(BoardSocketRequest.Look.NotOurs, Examine("GET /ws/boards/b HTTP/1.1\r\nX: " + new string('a', BoardSocketRequest.MaxHeadBytes)));

        var head = Head() + "\r\n\r\n";
        Assert.Equal(BoardSocketRequest.Look.Whole, Examine(head + "\u0081\u0080", out var length));
        Assert.Equal(head.Length - 4, length);
    }

    [Fact]
    public void AHeadSplitAcrossSegmentsIsFound()
    {
        var bytes = Encoding.ASCII.GetBytes(Head() + "\r\n\r\n");
        var first = new Segment(bytes.AsMemory(0, 20));
        var last = first.Append(bytes.AsMemory(20));
        var sequence = new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);

        Assert.Equal(BoardSocketRequest.Look.Whole, BoardSocketRequest.Examine(sequence, out var end, out var length));
        Assert.Equal(bytes.Length - 4, length);
        Assert.Equal(bytes.Length, sequence.Slice(0, end).Length);
    }

    private static BoardSocketRequest.Look Examine(string text) => Examine(text, out _);

    private static BoardSocketRequest.Look Examine(string text, out int length) =>
        BoardSocketRequest.Examine(new ReadOnlySequence<byte>(Encoding.Latin1.GetBytes(text)), out _, out length);

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory) => Memory = memory;

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory) { RunningIndex = RunningIndex + Memory.Length };
            Next = next;
            return next;
        }
    }
}
