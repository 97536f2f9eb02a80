using System.Text.Json;
using System.Text.Json.Serialization;
using CarRecommender.Core.Domain;

namespace CarRecommender.Core.Events;

/// <summary>
/// The one event contract: what the API parses from <c>POST /api/events</c>, records, publishes for every recorded
/// interaction, and the pipelines consume. JSON (camelCase, the type as
/// a lower-case string); <see cref="ContractVersion"/> changes when a field changes meaning.
/// </summary>
public sealed record UserActivityEvent(
    Guid EventId,
    long UserId,
    long ListingId,
    InteractionType Type,
    DateTimeOffset OccurredAt,
    DateTimeOffset RecordedAt,
    Guid? RecommendationId)
{
    public const int ContractVersion = 1;

    /// <summary>An event the API records by itself (a listing page's view), happening now.</summary>
    public static UserActivityEvent Now(long userId, long listingId, InteractionType type)
    {
        var now = DateTimeOffset.UtcNow;
        return new UserActivityEvent(Guid.CreateVersion7(now), userId, listingId, type, now, now, null);
    }

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase, allowIntegerValues: false) },
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip,
    };

    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, Json);

    /// <summary>Parses a message body; null with a reason when it is not a valid event (a poison message).</summary>
    public static UserActivityEvent? Parse(ReadOnlySpan<byte> body, out string? error)
    {
        UserActivityEvent? e;
        try
        {
            e = JsonSerializer.Deserialize<UserActivityEvent>(body, Json);
        }
        catch (JsonException ex)
        {
            error = "malformed JSON: " + ex.Message;
            return null;
        }
        error = e switch
        {
            null => "empty message",
            { EventId: var id } when id == Guid.Empty => "eventId is missing",
            { UserId: <= 0 } => "userId is missing",
            { ListingId: <= 0 } => "listingId is missing",
            _ when !Enum.IsDefined(e.Type) => "unknown type",
            _ => null,
        };
        return error is null ? e : null;
    }
}

/// <summary>One event of an activity message, or why that part is not one; <see cref="Json"/> is the part's own bytes.</summary>
public readonly record struct MessagePart(UserActivityEvent? Event, string? Error, ReadOnlyMemory<byte> Json);

/// <summary>
/// The body of an activity message: the outbox publishes up to <see cref="MaxEvents"/> events as one JSON array (one
/// AMQP message, one confirm and one queue write for all of them, where a message per event capped the flow at the
/// broker's messages per second); a single event object is a message too (a dead letter requeued by an operator, or a
/// batch split to find its poison event). Each part is read on its own, so one bad event in an array is dead-lettered
/// alone and the others are applied.
/// </summary>
public static class ActivityMessage
{
    /// <summary>Events per message the outbox publishes.</summary>
    public const int MaxEvents = 100;

    public static byte[] ToJson(IReadOnlyList<UserActivityEvent> events) => JsonSerializer.SerializeToUtf8Bytes(events, UserActivityEvent.Json);

    /// <summary>The parts of a message body: one per array element, or the whole body when it is a single event (or not JSON).</summary>
    public static List<MessagePart> Parse(ReadOnlyMemory<byte> body)
    {
        var span = body.Span.TrimStart(" \t\r\n"u8);
        if (span.IsEmpty || span[0] != (byte)'[') return [Single(body)];
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(body);
        }
        catch (JsonException ex)
        {
            return [new MessagePart(null, "malformed JSON: " + ex.Message, body)];
        }
        using (doc)
        {
            var parts = new List<MessagePart>(doc.RootElement.GetArrayLength());
            foreach (var element in doc.RootElement.EnumerateArray())
                parts.Add(Single(JsonSerializer.SerializeToUtf8Bytes(element)));
            return parts.Count == 0 ? [new MessagePart(null, "empty message", body)] : parts;
        }
    }

    private static MessagePart Single(ReadOnlyMemory<byte> json) =>
        UserActivityEvent.Parse(json.Span, out var error) is { } e ? new MessagePart(e, null, json) : new MessagePart(null, error, json);
}

/// <summary>RabbitMQ names and headers of the event flow, defined once for the API and the worker.</summary>
public static class EventTopology
{
    /// <summary>
    /// Durable topic exchange the outbox dispatcher publishes to: routing key <c>activity.batch</c> for a message of
    /// several events (<see cref="ActivityMessage"/>), <c>activity.{type}</c> for one event.
    /// </summary>
    public const string Exchange = "carrecommender.activity";
    /// <summary>Durable direct exchange for dead-lettered messages; the routing key is the pipeline queue they came from.</summary>
    public const string DeadLetterExchange = "carrecommender.activity.dead";
    public const string RoutingKeyPrefix = "activity.";
    public const string AllActivity = "activity.#";
    public const string BatchRoutingKey = "activity.batch";

    public const string ContentQueue = "pipeline.content";
    public const string CollaborativeQueue = "pipeline.collaborative";
    /// <summary>The listings' view / save / contact counters and trending keys (kept out of the content pipeline's transaction).</summary>
    public const string PopularityQueue = "pipeline.popularity";
    public static readonly string[] PipelineQueues = [ContentQueue, CollaborativeQueue, PopularityQueue];

    /// <summary>The dead-letter queue of a pipeline queue.</summary>
    public static string DeadLetterQueue(string queue) => queue + ".dead";

    /// <summary>The pipeline a pipeline queue feeds (<c>pipeline.content</c> → <c>content</c>).</summary>
    public static string PipelineOf(string queue) => queue.StartsWith("pipeline.", StringComparison.Ordinal) ? queue["pipeline.".Length..] : queue;

    /// <summary>
    /// RabbitMQ's delivery limit on the pipeline queues: only a backstop. The broker counts a delivery for every message
    /// the worker held when it stopped (its whole prefetch), so a low limit dead-letters healthy events after a few
    /// restarts during a backlog; the worker itself tells a poison message from those (<see cref="DeliveryAttempts"/>)
    /// and dead-letters it, with the reason, after a few starts on it alone.
    /// </summary>
    public const int DeliveryLimit = 50;

    public const string EventIdHeader = "x-event-id";
    public const string ContractHeader = "x-contract-version";
    /// <summary>Why the worker dead-lettered a message (set by the worker, next to RabbitMQ's own x-death).</summary>
    public const string DeathReasonHeader = "x-death-reason";
    public const string SourceQueueHeader = "x-source-queue";
    /// <summary>How often an operator sent a dead letter back to its pipeline.</summary>
    public const string RequeueCountHeader = "x-requeue-count";

    public static string RoutingKey(InteractionType type) => RoutingKeyPrefix + type.ToString().ToLowerInvariant();
}
