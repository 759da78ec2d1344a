using System.Buffers;
using System.Buffers.Text;
using System.Text;

namespace SharedCanvas.Realtime.Apis;

/// <summary>
/// A board socket's HTTP/1.1 upgrade request (RFC 6455 §4.2.1), read from a connection's first bytes by
/// <see cref="BoardSocketConnections"/>. Only a request that is plainly one is taken: anything else — another
/// path or method, a malformed or unusual head, a duplicated header, a body — is left to ASP.NET Core's HTTP
/// server, which answers it as it answers every request (the same endpoint included, <see cref="BoardSocketApi"/>).
/// So this parser never has to refuse well, only to recognise.
/// </summary>
internal sealed class BoardSocketRequest
{
    /// <summary>The longest head read here; a longer one goes to the HTTP server (and its limits).</summary>
    public const int MaxHeadBytes = 16 * 1024;

    private static ReadOnlySpan<byte> Prefix => "GET /ws/boards/"u8;

    private static ReadOnlySpan<byte> HeadEnd => "\r\n\r\n"u8;

    public required string BoardId { get; init; }

    /// <summary>The <c>Sec-WebSocket-Key</c>, checked to be 16 bytes in base64.</summary>
    public required string Key { get; init; }

    public string Origin { get; private set; } = "";

    /// <summary>The token from an offered <c>access_token.{JWT}</c> subprotocol, or else the query.</summary>
    public string? Token { get; private set; }

    /// <summary>Whether the client offered <see cref="BoardSocketApi.Subprotocol"/>.</summary>
    public bool OffersProtocol { get; private set; }

    public string? TraceParent { get; private set; }

    public string? TraceState { get; private set; }

    /// <summary>What a connection's first bytes are, as far as they have arrived.</summary>
    public enum Look { NeedMore, NotOurs, Whole }

    /// <summary>
    /// Whether <paramref name="buffer"/> starts a board socket's request (<see cref="Look.NeedMore"/> while it
    /// may), and, when its head is whole, where that head ends (after its blank line).
    /// </summary>
    public static Look Examine(in ReadOnlySequence<byte> buffer, out SequencePosition headEnd, out int headLength)
    {
        headEnd = buffer.Start;
        headLength = 0;
        Span<byte> start = stackalloc byte[Prefix.Length];
        var have = (int)Math.Min(buffer.Length, Prefix.Length);
        buffer.Slice(0, have).CopyTo(start);
        if (!start[..have].SequenceEqual(Prefix[..have]))
        {
            return Look.NotOurs;
        }

        var reader = new SequenceReader<byte>(buffer);
        if (reader.TryReadTo(out ReadOnlySequence<byte> head, HeadEnd, advancePastDelimiter: true))
        {
            if (head.Length + HeadEnd.Length > MaxHeadBytes)
            {
                return Look.NotOurs;
            }

            headEnd = reader.Position;
            headLength = (int)head.Length;
            return Look.Whole;
        }

        return buffer.Length >= MaxHeadBytes ? Look.NotOurs : Look.NeedMore;
    }

    /// <summary>The request in <paramref name="head"/> (without its blank line), or null when it is not plainly one.</summary>
    public static BoardSocketRequest? Parse(ReadOnlySpan<byte> head)
    {
        foreach (var b in head)
        {
            // Visible ASCII, spaces, tabs and the CRLFs between lines; anything else is the HTTP server's to judge.
            if (b is > 0x7E or (< 0x20 and not (byte)'\t' and not (byte)'\r' and not (byte)'\n'))
            {
                return null;
            }
        }

        var lineEnd = head.IndexOf("\r\n"u8);
        var requestLine = lineEnd < 0 ? head : head[..lineEnd];
        if (requestLine.Length <= Prefix.Length + " HTTP/1.1".Length || !requestLine.EndsWith(" HTTP/1.1"u8))
        {
            return null;
        }

        var target = requestLine[Prefix.Length..^" HTTP/1.1".Length];
        if (target.IndexOfAny(" \t"u8) >= 0)
        {
            return null;
        }

        var queryAt = target.IndexOf((byte)'?');
        var id = queryAt < 0 ? target : target[..queryAt];
        var boardId = Encoding.ASCII.GetString(id);
        if (!Contracts.BoardIds.IsValid(boardId))
        {
            return null;
        }

        ReadOnlySpan<byte> host = default, upgrade = default, connection = default, version = default, key = default,
            origin = default, traceParent = default, traceState = default;
        var seen = 0;
        var protocols = new List<Range>();
        var rest = lineEnd < 0 ? ReadOnlySpan<byte>.Empty : head[(lineEnd + 2)..];
        var offset = lineEnd < 0 ? head.Length : lineEnd + 2;
        while (!rest.IsEmpty)
        {
            var end = rest.IndexOf("\r\n"u8);
            var line = end < 0 ? rest : rest[..end];
            var colon = line.IndexOf((byte)':');
            // No folded lines, no whitespace in or around a name, no bare CR or LF.
            if (colon <= 0 || line[..colon].IndexOfAny(" \t\r\n"u8) >= 0 || line.IndexOfAny("\r\n"u8) >= 0)
            {
                return null;
            }

            var name = line[..colon];
            var value = line[(colon + 1)..].Trim(" \t"u8);
            var valueAt = offset + colon + 1 + (line[(colon + 1)..].Length - line[(colon + 1)..].TrimStart(" \t"u8).Length);
            if (Ascii.EqualsIgnoreCase(name, "sec-websocket-protocol"u8))
            {
                protocols.Add(new Range(valueAt, valueAt + value.Length));
            }
            else if (!(Single(name, "host"u8, 1, ref seen, value, ref host)
                && Single(name, "upgrade"u8, 2, ref seen, value, ref upgrade)
                && Single(name, "connection"u8, 4, ref seen, value, ref connection)
                && Single(name, "sec-websocket-version"u8, 8, ref seen, value, ref version)
                && Single(name, "sec-websocket-key"u8, 16, ref seen, value, ref key)
                && Single(name, "origin"u8, 32, ref seen, value, ref origin)
                && Single(name, "traceparent"u8, 64, ref seen, value, ref traceParent)
                && Single(name, "tracestate"u8, 128, ref seen, value, ref traceState))
                || Ascii.EqualsIgnoreCase(name, "content-length"u8) || Ascii.EqualsIgnoreCase(name, "transfer-encoding"u8))
            {
                return null;
            }

            if (end < 0)
            {
                break;
            }

            rest = rest[(end + 2)..];
            offset += end + 2;
        }

        if ((seen & 1) == 0 || !HasToken(upgrade, "websocket"u8) || !HasToken(connection, "upgrade"u8)
            || !version.SequenceEqual("13"u8) || !IsKey(key))
        {
            return null;
        }

        var request = new BoardSocketRequest
        {
            BoardId = boardId,
            Key = Encoding.ASCII.GetString(key),
            Origin = Encoding.ASCII.GetString(origin),
            TraceParent = traceParent.IsEmpty ? null : Encoding.ASCII.GetString(traceParent),
            TraceState = traceState.IsEmpty ? null : Encoding.ASCII.GetString(traceState),
        };
        foreach (var range in protocols)
        {
            foreach (var part in head[range].Split((byte)','))
            {
                var protocol = head[range][part].Trim(" \t"u8);
                if (protocol.StartsWith("access_token."u8))
                {
                    request.Token ??= Encoding.ASCII.GetString(protocol["access_token.".Length..]);
                }
                else if (protocol.SequenceEqual("sharedcanvas.v1"u8))
                {
                    request.OffersProtocol = true;
                }
            }
        }

        request.Token ??= QueryToken(queryAt < 0 ? default : target[(queryAt + 1)..]);
        return request;
    }

    /// <summary>The value of <c>access_token</c> in a query (older clients put it there).</summary>
    private static string? QueryToken(ReadOnlySpan<byte> query)
    {
        foreach (var part in query.Split((byte)'&'))
        {
            var pair = query[part];
            if (pair.StartsWith("access_token="u8))
            {
                return Uri.UnescapeDataString(Encoding.ASCII.GetString(pair["access_token=".Length..]));
            }
        }

        return null;
    }

    /// <summary>Keeps a header that may appear once (its bit in <paramref name="seen"/>); false when it appears again.</summary>
    private static bool Single(
        ReadOnlySpan<byte> name, ReadOnlySpan<byte> wanted, int bit, ref int seen, ReadOnlySpan<byte> value, ref ReadOnlySpan<byte> kept)
    {
        if (!Ascii.EqualsIgnoreCase(name, wanted))
        {
            return true;
        }

        if ((seen & bit) != 0)
        {
            return false;
        }

        seen |= bit;
        kept = value;
        return true;
    }

    private static bool HasToken(ReadOnlySpan<byte> list, ReadOnlySpan<byte> token)
    {
        foreach (var part in list.Split((byte)','))
        {
            if (Ascii.EqualsIgnoreCase(list[part].Trim(" \t"u8), token))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsKey(ReadOnlySpan<byte> key)
    {
        Span<byte> decoded = stackalloc byte[18];
        return key.Length == 24 && Base64.DecodeFromUtf8(key, decoded, out _, out var written) == OperationStatus.Done && written == 16;
    }
}
