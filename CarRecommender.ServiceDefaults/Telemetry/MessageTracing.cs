using System.Diagnostics;
using System.Text;
using OpenTelemetry;
using OpenTelemetry.Context.Propagation;

namespace CarRecommender.Telemetry;

/// <summary>
/// Trace context across the outbox and RabbitMQ through OpenTelemetry's propagators (W3C trace context and baggage),
/// as eShop carries it: the API injects the request's context into the outbox row and the message headers, the worker
/// extracts it, so one trace follows an event from the request to every pipeline.
/// </summary>
public static class MessageTracing
{
    private static readonly TextMapPropagator Propagator = new CompositeTextMapPropagator([new TraceContextPropagator(), new BaggagePropagator()]);

    /// <summary>Writes <paramref name="context"/> into message headers (nothing when it is not a valid context).</summary>
    public static void Inject(ActivityContext context, IDictionary<string, object?> headers)
    {
        if (context == default) return;
        Propagator.Inject(new PropagationContext(context, Baggage.Current), headers, static (h, key, value) => h[key] = value);
    }

    /// <summary>The context in message headers (RabbitMQ hands string headers over as UTF-8 bytes); default when there is none.</summary>
    public static ActivityContext Extract(IDictionary<string, object?>? headers) =>
        headers is null ? default : Propagator.Extract(default, headers, static (h, key) => h.TryGetValue(key, out var v)
            ? v switch
            {
                byte[] bytes => [Encoding.UTF8.GetString(bytes)],
                string s => [s],
                _ => [],
            }
            : []).ActivityContext;

    /// <summary>The two W3C fields an outbox row stores (<c>traceparent</c>, <c>tracestate</c>) for a context.</summary>
    public static (string? TraceParent, string? TraceState) ToStored(ActivityContext context)
    {
        var fields = new Dictionary<string, object?>();
        Inject(context, fields);
        return (fields.GetValueOrDefault("traceparent") as string, fields.GetValueOrDefault("tracestate") as string);
    }

    /// <summary>The context an outbox row stored.</summary>
    public static ActivityContext FromStored(string? traceParent, string? traceState) =>
        Extract(new Dictionary<string, object?> { ["traceparent"] = traceParent, ["tracestate"] = traceState });
}
