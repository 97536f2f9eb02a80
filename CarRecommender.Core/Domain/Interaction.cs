namespace CarRecommender.Core.Domain;

/// <summary>One user-activity event: the append-only log the collaborative model trains on.</summary>
public sealed class Interaction
{
    public long Id { get; set; }
    /// <summary>Client-supplied or server-made; unique, so the same event twice is stored once.</summary>
    public Guid EventId { get; set; }
    public long UserId { get; set; }
    public long ListingId { get; set; }
    public InteractionType Type { get; set; }
    public DateTimeOffset OccurredAt { get; set; }
    public DateTimeOffset RecordedAt { get; set; }
    /// <summary>The recommendation that led here, when there was one (click-through attribution).</summary>
    public Guid? RecommendationId { get; set; }
}
