using System.Diagnostics;
using System.Text;
using CarRecommender.Telemetry;

namespace CarRecommender.Core.Tests;

public class MessageTracingTests
{
    private static readonly ActivityContext Request = new(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded,
        "vendor=value");

    [Fact]
    public void A_context_survives_the_outbox_row_and_the_message_headers_as_rabbitmq_delivers_them()
    {
        var (traceParent, traceState) = MessageTracing.ToStored(Request);
        Assert.Equal($"00-{Request.TraceId}-{Request.SpanId}-01", traceParent);
        Assert.Equal("vendor=value", traceState);

        var stored = MessageTracing.FromStored(traceParent, traceState);
        var headers = new Dictionary<string, object?>();
        MessageTracing.Inject(stored, headers);
        // RabbitMQ delivers string headers as UTF-8 bytes
        var delivered = headers.ToDictionary(h => h.Key, h => (object?)Encoding.UTF8.GetBytes((string)h.Value!));
        var extracted = MessageTracing.Extract(delivered);
        Assert.Equal((Request.TraceId, Request.SpanId, Request.TraceFlags, "vendor=value"),
            (extracted.TraceId, extracted.SpanId, extracted.TraceFlags, extracted.TraceState));
        Assert.True(extracted.IsRemote);
    }

    [Fact]
    public void No_context_writes_nothing_and_reads_as_none()
    {
        var headers = new Dictionary<string, object?>();
        MessageTracing.Inject(default, headers);
        Assert.Empty(headers);
        Assert.Equal(default, MessageTracing.Extract(headers));
        Assert.Equal(default, MessageTracing.Extract(null));
        Assert.Equal(default, MessageTracing.FromStored(null, null));
        Assert.Equal(default, MessageTracing.FromStored("not a traceparent", null));
    }
}
