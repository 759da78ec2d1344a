using System.Text;
using OpenTelemetry.Trace;
using SharedCanvas.Realtime.Protocol;

namespace SharedCanvas.UnitTests;

public sealed class ClientMessageReaderTests
{
    private static ParseStatus Parse(string json, out ClientMessage message) =>
        ClientMessageReader.Parse(Encoding.UTF8.GetBytes(json), out message, out _);

    [Fact]
    public void OpMessageIsReadWithItsNumberOperationAndTraceParent()
    {
        var json = """{"type":"op","n":17,"op":{"k":"end","id":"a"},"tp":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01","at":1767000000123}""";
        var bytes = Encoding.UTF8.GetBytes(json);

        var status = ClientMessageReader.Parse(bytes, out var message, out _);

        Assert.Equal(ParseStatus.Ok, status);
        Assert.Equal(ClientMessageType.Op, message.Type);
        Assert.Equal(17, message.N);
        Assert.Equal("""{"k":"end","id":"a"}""", Encoding.UTF8.GetString(bytes.AsSpan()[message.Op]));
        Assert.Equal("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", Encoding.UTF8.GetString(bytes.AsSpan()[message.TraceParent]));
        Assert.Equal(1767000000123, message.At);
    }

    [Fact]
    public void HistoryAndVersionAskForTheBoardsPast()
    {
        Assert.Equal(ParseStatus.Ok, Parse("""{"type":"history"}""", out var history));
        Assert.Equal(ClientMessageType.History, history.Type);
        Assert.Equal(ParseStatus.Ok, Parse("""{"type":"version","seq":0}""", out var empty));
        Assert.Equal((ClientMessageType.Version, 0L), (empty.Type, empty.Seq));
        Assert.Equal(ParseStatus.Ok, Parse("""{"type":"version","seq":9007199254740991}""", out var last));
        Assert.Equal(9007199254740991, last.Seq);

        foreach (var json in new[] { """{"type":"version"}""", """{"type":"version","seq":-1}""", """{"type":"version","seq":1.5}""",
            """{"type":"version","seq":"7"}""", """{"type":"version","seq":9007199254740992}""", """{"type":"version","seq":1,"seq":2}""" })
        {
            Assert.Equal(ParseStatus.SchemaViolation, Parse(json, out _));
        }
    }

    [Fact]
    public void HelloCarriesClientAndOptionalSince()
    {
        Assert.Equal(ParseStatus.Ok, Parse("""{"type":"hello","client":"abcdefgh12","since":42}""", out var message));
        Assert.Equal(ClientMessageType.Hello, message.Type);
        Assert.True(message.HasSince);
        Assert.Equal(42, message.Since);
    }

    [Theory]
    [InlineData("""{"type":"hello","client":"abcdefgh12","batch":true}""", true)]
    [InlineData("""{"type":"hello","client":"abcdefgh12","batch":false}""", false)]
    [InlineData("""{"type":"hello","client":"abcdefgh12"}""", false)]
    public void HelloSaysWhetherTheClientAcceptsBatches(string json, bool batch)
    {
        Assert.Equal(ParseStatus.Ok, Parse(json, out var message));
        Assert.Equal(batch, message.Batch);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[1,2]")]
    [InlineData("""{"type":"ping"} trailing""")]
    [InlineData("""{"type":"ping",}""")]
    [InlineData("""{"type":"ping" /* comment */}""")]
    public void InvalidJsonIsReportedAsSuch(string json) =>
        Assert.Equal(ParseStatus.InvalidJson, Parse(json, out _));

    [Theory]
    [InlineData("""{"n":1}""")]
    [InlineData("""{"type":"op","n":0,"op":{}}""")]
    [InlineData("""{"type":"op","n":1}""")]
    [InlineData("""{"type":"op","n":"1","op":{}}""")]
    [InlineData("""{"type":"op","type":"op","n":1,"op":{}}""")]
    [InlineData("""{"type":"op","n":1,"op":{},"tp":"00-00000000000000000000000000000000-00f067aa0ba902b7-01"}""")]
    [InlineData("""{"type":"hello","client":"short"}""")]
    [InlineData("""{"type":"hello","client":"has spaces in it"}""")]
    [InlineData("""{"type":"hello","client":"abcdefgh12","batch":1}""")]
    [InlineData("""{"type":"hello","client":"abcdefgh12","batch":"yes"}""")]
    [InlineData("""{"type":"cursor","x":1e400,"y":0}""")]
    [InlineData("""{"type":"cursor","x":5000000,"y":0}""")]
    [InlineData("""{"type":"cursor","x":1,"y":2,"vx":0,"vy":0,"vw":800}""")]
    [InlineData("""{"type":"cursor","x":1,"y":2,"vx":0,"vy":0,"vw":0,"vh":600}""")]
    [InlineData("""{"type":"cursor","x":1,"y":2,"vx":0,"vy":0,"vw":800,"vh":-1}""")]
    [InlineData("""{"type":"cursor","x":1,"y":2,"vx":"0","vy":0,"vw":800,"vh":600}""")]
    [InlineData("""{"type":"cursor","x":1,"y":2,"vx":5000000,"vy":0,"vw":800,"vh":600}""")]
    [InlineData("""{"type":"ping","\u0074ype":"op","t":1}""")]
    [InlineData("""{"type":"op","\u006e":1,"n":2,"op":{}}""")]
    [InlineData("""{"type":"op","n":9007199254740992,"op":{}}""")]
    [InlineData("""{"type":"op","n":1,"op":{},"at":"1767000000123"}""")]
    [InlineData("""{"type":"op","n":1,"op":{},"at":1767000000123.5}""")]
    [InlineData("""{"type":"op","n":1,"op":{},"at":0}""")]
    [InlineData("""{"type":"op","n":1,"op":{},"at":9007199254740992}""")]
    [InlineData("""{"type":"op","n":1,"op":{},"at":1,"at":2}""")]
    public void MessagesOutsideTheirSchemaAreViolations(string json) =>
        Assert.Equal(ParseStatus.SchemaViolation, Parse(json, out _));

    [Fact]
    public void ACursorMayCarryTheSendersVisibleRectangle()
    {
        Assert.Equal(ParseStatus.Ok, Parse("""{"type":"cursor","x":null,"y":null,"vx":-120.5,"vy":40,"vw":1200,"vh":800.25}""", out var message));
        Assert.True(message.CursorGone);
        Assert.True(message.HasView);
        Assert.Equal((-120.5, 40, 1200, 800.25), (message.ViewX, message.ViewY, message.ViewWidth, message.ViewHeight));
        Assert.Equal(ParseStatus.Ok, Parse("""{"type":"cursor","x":3,"y":4}""", out var plain));
        Assert.False(plain.HasView);
    }

    [Fact]
    public void UnknownTypeIsRecoverable() =>
        Assert.Equal(ParseStatus.UnknownType, Parse("""{"type":"teleport"}""", out _));

    [Fact]
    public void DeeplyNestedJsonIsRefusedWithoutRecursingForever()
    {
        var json = """{"type":"ping","deep":""" + new string('[', 5000) + new string(']', 5000) + "}";
        Assert.Equal(ParseStatus.InvalidJson, Parse(json, out _));
    }
}

public sealed class OpValidatorTests
{
    private static readonly OpLimits Limits = new(MaxPointsPerBatch: 1000, MaxTextLength: 10_000);

    private static string? Validate(string json, out OpInfo info) =>
        OpValidator.Validate(Encoding.UTF8.GetBytes(json), Limits, out info);

    [Theory]
    [InlineData("""{"k":"add","el":{"id":"a-1","t":"pen","color":"#1e1e1e","width":4,"opacity":1,"pts":[1,2,0.5]}}""", OpKind.Add)]
    [InlineData("""{"k":"add","el":{"id":"r","t":"rect","color":"#ABCDEF","fill":true,"pts":[0,0,10,10]}}""", OpKind.Add)]
    [InlineData("""{"k":"add","el":{"id":"t","t":"text","text":"hello","size":24,"pts":[5,5]}}""", OpKind.Add)]
    [InlineData("""{"k":"points","id":"a-1","pts":[1,2,0.5,3,4,1]}""", OpKind.Points)]
    [InlineData("""{"k":"end","id":"a-1"}""", OpKind.End)]
    [InlineData("""{"k":"end","id":"l","pts":[0,0,5,5]}""", OpKind.End)]
    [InlineData("""{"k":"update","ids":["a","b"],"dx":5,"dy":-3}""", OpKind.Update)]
    [InlineData("""{"k":"update","id":"a","set":{"color":"#ff0000"},"if":{"color":"#000000"}}""", OpKind.Update)]
    [InlineData("""{"k":"add","el":{"id":"r","t":"rect","pts":[0,0,10,10],"rot":-3.1416}}""", OpKind.Add)]
    [InlineData("""{"k":"update","id":"a","set":{"rot":1.5708,"pts":[1,1,2,2]},"if":{"rot":0}}""", OpKind.Update)]
    [InlineData("""{"k":"delete","ids":["a"]}""", OpKind.Delete)]
    [InlineData("""{"k":"restore","ref":12}""", OpKind.Restore)]
    [InlineData("""{"k":"clear"}""", OpKind.Clear)]
    public void ValidOperationsPass(string json, OpKind kind)
    {
        Assert.Null(Validate(json, out var info));
        Assert.Equal(kind, info.Kind);
    }

    [Theory]
    [InlineData("""{"k":"explode"}""")]
    [InlineData("""{"k":"add"}""")]
    [InlineData("""{"k":"add","el":{"id":"a","t":"pen","pts":[1,2]}}""")]
    [InlineData("""{"k":"add","el":{"id":"a","t":"pen","pts":[1,2,1.5]}}""")]
    [InlineData("""{"k":"add","el":{"id":"a","t":"pen","pts":[1,2,0.5],"color":"red"}}""")]
    [InlineData("""{"k":"add","el":{"id":"a","t":"pen","pts":[1,2,0.5],"width":1000}}""")]
    [InlineData("""{"k":"add","el":{"id":"a b","t":"pen","pts":[1,2,0.5]}}""")]
    [InlineData("""{"k":"add","el":{"id":"a","t":"rect","pts":[0,0,10]}}""")]
    [InlineData("""{"k":"add","el":{"id":"a","t":"text","pts":[0,0]}}""")]
    [InlineData("""{"k":"add","el":{"id":"a","t":"pen","pts":[2000000,0,0.5]}}""")]
    [InlineData("""{"k":"add","el":{"id":"a","t":"pen","pts":[1,2,0.5],"evil":true}}""")]
    [InlineData("""{"k":"points","id":"a","pts":[1e999,0,0.5]}""")]
    [InlineData("""{"k":"points","id":"a","pts":["1",0,0.5]}""")]
    [InlineData("""{"k":"update","ids":["a"]}""")]
    [InlineData("""{"k":"update","id":"a","set":{"author":"x"}}""")]
    [InlineData("""{"k":"update","id":"a","set":{"rot":4}}""")]
    [InlineData("""{"k":"add","el":{"id":"a","t":"pen","pts":[1,2,0.5],"rot":"0.5"}}""")]
    [InlineData("""{"k":"delete","ids":[]}""")]
    [InlineData("""{"k":"restore","ref":0}""")]
    [InlineData("""{"k":"clear","ids":["a"]}""")]
    [InlineData("""{"k":"end","k":"end","id":"a"}""")]
    [InlineData("""{"k":"end","\u006b":"end","id":"a"}""")]
    [InlineData("""{"k":"add","el":{"id":"a","\u0069d":"b","t":"pen","pts":[1,2,0.5]}}""")]
    public void InvalidOperationsAreRefusedWithAReason(string json) =>
        Assert.NotNull(Validate(json, out _));

    [Fact]
    public void TooManyPointsInOneBatchAreRefused()
    {
        var pts = string.Join(",", Enumerable.Repeat("1,2,0.5", 1001));
        Assert.Equal("pts holds too many points", Validate($$$"""{"k":"points","id":"a","pts":[{{{pts}}}]}""", out _));
    }

    [Fact]
    public void TooLongTextIsRefused()
    {
        var text = new string('x', 10_001);
        Assert.Equal("text is too long", Validate($$$"""{"k":"add","el":{"id":"t","t":"text","text":"{{{text}}}","pts":[0,0]}}""", out _));
    }

    [Fact]
    public void ElementIdOfAnAddIsReported()
    {
        var json = """{"k":"add","el":{"id":"elem-7","t":"pen","pts":[1,2,0.5]}}""";
        var bytes = Encoding.UTF8.GetBytes(json);
        Assert.Null(OpValidator.Validate(bytes, Limits, out var info));
        Assert.Equal("elem-7", Encoding.UTF8.GetString(bytes.AsSpan()[info.ElementId]));
    }
}

public sealed class OpEnvelopeTests
{
    [Fact]
    public void TailAndHeadMakeAMessageWhoseHeaderReadsBack()
    {
        var tail = new byte[512];
        var op = """{"k":"end","id":"a"}"""u8;
        var traceParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"u8;
        var length = OpEnvelope.WriteTail(tail, OpEnvelope.ClientPart("client01"u8), 9, 1700000000000, traceParent, "a"u8, 1699999999950, OpEnvelope.AuthorPart("user\"1"), op);
        var message = Encoding.UTF8.GetBytes("{\"type\":\"op\",\"seq\":123").Concat(tail[..length]).ToArray();
        // What the realtime service publishes itself (after WAIT, in a cluster) is the script's message, byte for byte.
        Assert.Equal(message, OpEnvelope.Message(123, tail.AsSpan(0, length)));

        Assert.True(OpEnvelope.TryReadHeader(message, out OpEnvelope.Header header));
        Assert.Equal(123, header.Seq);
        Assert.Equal("client01", Encoding.UTF8.GetString(message.AsSpan()[header.Client]));
        Assert.Equal(9, header.N);
        Assert.Equal(1700000000000, header.Timestamp);
        Assert.Equal("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", Encoding.UTF8.GetString(message.AsSpan()[header.TraceParent]));
        Assert.Equal("a", Encoding.UTF8.GetString(message.AsSpan()[header.ElementId]));
        var parsed = System.Text.Json.Nodes.JsonNode.Parse(message)!;
        Assert.Equal("user\"1", (string?)parsed["author"]);
        Assert.Equal(1699999999950, (long?)parsed["at"]);
        Assert.Equal("end", (string?)parsed["op"]!["k"]);
    }

    [Fact]
    public void HeaderReadsWithoutTheOptionalFields()
    {
        var tail = new byte[256];
        var length = OpEnvelope.WriteTail(tail, OpEnvelope.ClientPart("client01"u8), 2, 5, default, default, 0, OpEnvelope.AuthorPart("u"), """{"k":"clear"}"""u8);
        var message = Encoding.UTF8.GetBytes("{\"type\":\"op\",\"seq\":7").Concat(tail[..length]).ToArray();

        Assert.True(OpEnvelope.TryReadHeader(message, out OpEnvelope.Header header));
        Assert.Equal((7, 2, 5), (header.Seq, header.N, header.Timestamp));
        Assert.Equal(0, header.TraceParent.End.Value);
        Assert.Null(System.Text.Json.Nodes.JsonNode.Parse(message)!["at"]);
    }

    [Fact]
    public void HeaderOfALogEntryWrittenBeforeTheTraceFieldsStillReads()
    {
        var message = """{"type":"op","seq":41,"client":"client01","n":3,"author":"5b9e","ts":1700000000000,"tp":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01","op":{"k":"clear"}}"""u8;

        Assert.True(OpEnvelope.TryReadHeader(message, out OpEnvelope.Header header));
        Assert.Equal((41, 3, 1700000000000), (header.Seq, header.N, header.Timestamp));
        Assert.Equal(55, header.TraceParent.End.Value - header.TraceParent.Start.Value);
    }
}

/// <summary>Trace context in and out of messages, through the OpenTelemetry SDK's propagator.</summary>
public sealed class TracePropagationTests
{
    [Fact]
    public void ABrowsersTraceParentIsContinuedAndTheChildsIsInjected()
    {
        using var tracing = OpenTelemetry.Sdk.CreateTracerProviderBuilder().AddSource(SharedCanvas.Realtime.RealtimeTelemetry.Name).Build();
        const string Browser = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

        using var receive = SharedCanvas.Realtime.RealtimeTelemetry.StartReceive(Encoding.ASCII.GetBytes(Browser), default, "board", "c-1", "u", 10);
        Assert.NotNull(receive);
        Assert.Equal("4bf92f3577b34da6a3ce929d0e0e4736", receive.TraceId.ToHexString());
        Assert.Equal("00f067aa0ba902b7", receive.ParentSpanId.ToHexString());
        Assert.True(receive.Recorded);

        var injected = SharedCanvas.Realtime.RealtimeTelemetry.Inject(receive);
        Assert.Equal($"00-4bf92f3577b34da6a3ce929d0e0e4736-{receive.SpanId.ToHexString()}-01", injected);
        var extracted = SharedCanvas.Realtime.RealtimeTelemetry.Extract(Encoding.ASCII.GetBytes(injected!));
        Assert.Equal((receive.TraceId, receive.SpanId), (extracted.TraceId, extracted.SpanId));
    }

    [Fact]
    public void AStrokeTheBrowserSampledOutIsNotRecorded()
    {
        using var tracing = OpenTelemetry.Sdk.CreateTracerProviderBuilder().AddSource(SharedCanvas.Realtime.RealtimeTelemetry.Name)
            .SetSampler(new ParentBasedSampler(new AlwaysOnSampler())).Build();
        using var receive = SharedCanvas.Realtime.RealtimeTelemetry.StartReceive("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"u8, default, "board", "c-1", "u", 10);
        Assert.False(receive?.Recorded ?? false);
    }
}

public sealed class TelemetryRedactionTests
{
    [Theory]
    [InlineData("?access_token=eyJabc.def.ghi", "?access_token=Redacted")]
    [InlineData("?x=1&access_token=eyJ&y=2", "?x=1&access_token=Redacted&y=2")]
    [InlineData("?ACCESS_TOKEN=secret", "?ACCESS_TOKEN=Redacted")]
    [InlineData("?access%5Ftoken=secret", "?access%5Ftoken=Redacted")]
    [InlineData("?page=2", "?page=2")]
    [InlineData("", "")]
    public void SecretParametersAreRedactedAndOthersKept(string query, string expected) =>
        Assert.Equal(expected, Microsoft.Extensions.Hosting.TelemetryRedaction.RedactQuery(query));

    [Theory]
    [InlineData("/share/0f3a9c2e5b7d4e1f", "/share/Redacted")]
    [InlineData("/api/share/0f3a9c2e5b7d4e1f", "/api/share/Redacted")]
    [InlineData("/api/boards/3f2c/links/0f3a9c2e5b7d4e1f", "/api/boards/3f2c/links/Redacted")]
    [InlineData("/api/boards/3f2c/links", "/api/boards/3f2c/links")]
    [InlineData("/boards/3f2c", "/boards/3f2c")]
    [InlineData("/", "/")]
    public void ShareLinkIdsArePathSecrets(string path, string expected) =>
        Assert.Equal(expected, Microsoft.Extensions.Hosting.TelemetryRedaction.RedactPath(path));
}
