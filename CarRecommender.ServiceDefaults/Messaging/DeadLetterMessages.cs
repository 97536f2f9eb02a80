using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CarRecommender.Core.Events;
using RabbitMQ.Client;

namespace CarRecommender.Messaging;

/// <summary>
/// The message properties of the dead-letter flow, built in one place: the worker's dead-lettering, the archive of the
/// dead-letter queues, and an operator's requeue.
/// </summary>
public static class DeadLetterMessages
{
    /// <summary>Headers the archive keeps in columns of their own, or drops (the broker's x-death tables).</summary>
    private static readonly HashSet<string> OwnColumns = [EventTopology.DeathReasonHeader, EventTopology.SourceQueueHeader, EventTopology.RequeueCountHeader,
        "x-death", "x-first-death-reason", "x-first-death-queue", "x-first-death-exchange", "x-last-death-reason", "x-last-death-queue", "x-last-death-exchange"];

    /// <summary>What the worker publishes to the dead-letter exchange: the message as it came, with the reason and its queue.</summary>
    public static BasicProperties DeadLettered(IReadOnlyBasicProperties original, string reason, string sourceQueue) =>
        Copy(original, new Dictionary<string, object?>(original.Headers ?? new Dictionary<string, object?>())
        {
            [EventTopology.DeathReasonHeader] = reason.Length > 500 ? reason[..500] : reason,
            [EventTopology.SourceQueueHeader] = sourceQueue,
        });

    /// <summary>
    /// The properties of one event of a several-event message (<see cref="ActivityMessage"/>) as a message of its own,
    /// when it is dead-lettered alone or the message is split: the event's id as message id and header, its type.
    /// </summary>
    public static BasicProperties PartOf(IReadOnlyBasicProperties message, UserActivityEvent? e)
    {
        var headers = new Dictionary<string, object?>(message.Headers ?? new Dictionary<string, object?>());
        if (e is not null) headers[EventTopology.EventIdHeader] = e.EventId.ToString();
        return new BasicProperties
        {
            Persistent = true,
            MessageId = e?.EventId.ToString(),
            ContentType = message.ContentType,
            Type = e?.Type.ToString().ToLowerInvariant(),
            Headers = headers,
        };
    }

    /// <summary>A message of a dead-letter queue as the archive keeps it.</summary>
    public static DeadLetterEntry ToEntry(string pipeline, IReadOnlyBasicProperties properties, ReadOnlyMemory<byte> body)
    {
        var headers = properties.Headers;
        var reason = Text(headers, EventTopology.DeathReasonHeader)
            ?? (Text(headers, "x-first-death-reason") is { } broker ? $"dead-lettered by the broker ({broker})" : "no reason given");
        var source = Text(headers, EventTopology.SourceQueueHeader) ?? Text(headers, "x-first-death-queue");
        var others = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in headers ?? new Dictionary<string, object?>())
            if (!OwnColumns.Contains(name) && TextOf(value) is { } text) others[name] = text;
        var key = properties.MessageId is { Length: > 0 and <= 200 } id ? id : "sha256:" + Convert.ToHexStringLower(SHA256.HashData(body.Span));
        return new DeadLetterEntry(pipeline, key, properties.MessageId, reason, source, RequeueCount(headers), properties.ContentType, properties.Type,
            JsonSerializer.Serialize(others), body.ToArray());
    }

    /// <summary>What a requeue publishes to the pipeline's queue: the archived message with one requeue more.</summary>
    public static BasicProperties Requeued(DeadLetterEntry entry)
    {
        var headers = new Dictionary<string, object?>();
        foreach (var (name, value) in JsonSerializer.Deserialize<Dictionary<string, string>>(entry.Headers) ?? [])
            headers[name] = Encoding.UTF8.GetBytes(value);
        headers[EventTopology.RequeueCountHeader] = entry.Requeued + 1;
        return new BasicProperties { Persistent = true, MessageId = entry.MessageId, ContentType = entry.ContentType, Type = entry.Type, Headers = headers };
    }

    private static BasicProperties Copy(IReadOnlyBasicProperties original, Dictionary<string, object?> headers) => new()
    {
        Persistent = true,
        MessageId = original.MessageId,
        ContentType = original.ContentType,
        Type = original.Type,
        Headers = headers,
    };

    private static int RequeueCount(IDictionary<string, object?>? headers) =>
        headers?.TryGetValue(EventTopology.RequeueCountHeader, out var value) == true && value is IConvertible c
            ? c.ToInt32(CultureInfo.InvariantCulture)
            : 0;

    private static string? Text(IDictionary<string, object?>? headers, string name) => headers?.TryGetValue(name, out var v) == true ? TextOf(v) : null;

    private static string? TextOf(object? value) => value switch
    {
        byte[] bytes => Encoding.UTF8.GetString(bytes),
        string s => s,
        IConvertible c and not null => c.ToString(CultureInfo.InvariantCulture),
        _ => null, // tables and lists
    };
}
