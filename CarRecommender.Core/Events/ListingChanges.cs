using System.Text.Json;
using System.Text.Json.Serialization;

namespace CarRecommender.Core.Events;

/// <summary>What happened to a listing: an import changed its price, marked it sold (sync) or listed it.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ListingChangeKind>))]
public enum ListingChangeKind { PriceDropped, PriceRaised, Sold, Listed }

/// <summary>
/// One listing change, as written by the import in its transaction (<c>listing_changes</c>, the listings' outbox) and
/// published to <see cref="ListingTopology.Exchange"/> in batches of up to <see cref="ListingTopology.BatchSize"/> per
/// message. Prices are in euros.
/// </summary>
public sealed record ListingChangeEvent(long ChangeId, long ListingId, ListingChangeKind Kind, int Price, int? PreviousPrice, DateTimeOffset OccurredAt)
{
    public const int ContractVersion = 1;

    public static byte[] ToJson(IReadOnlyList<ListingChangeEvent> batch) => JsonSerializer.SerializeToUtf8Bytes(batch, UserActivityEvent.Json);

    /// <summary>A batch, or null with the reason for a body that is not one.</summary>
    public static IReadOnlyList<ListingChangeEvent>? Parse(ReadOnlySpan<byte> body, out string? error)
    {
        try
        {
            var batch = JsonSerializer.Deserialize<List<ListingChangeEvent>>(body, UserActivityEvent.Json);
            error = batch is null ? "the body is null" : null;
            return batch;
        }
        catch (JsonException ex)
        {
            error = "not a batch of listing changes: " + ex.Message;
            return null;
        }
    }
}

/// <summary>Where listing changes travel: their own exchange and queue, beside the activity flow.</summary>
public static class ListingTopology
{
    public const string Exchange = "carrecommender.listings";
    public const string DeadLetterExchange = "carrecommender.listings.dead";
    public const string Queue = "listings.changes";
    public const string DeadLetterQueue = "listings.changes.dead";
    public const string RoutingKey = "listing.changes";
    /// <summary>Changes per message: an import of 100,000 new listings is 100 messages, not 100,000.</summary>
    public const int BatchSize = 1_000;
}
