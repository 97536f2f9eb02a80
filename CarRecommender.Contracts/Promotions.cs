namespace CarRecommender.Contracts;

/// <summary>What <c>PUT /api/admin/listings/{id}/promotion</c> takes: the listing is promoted until then.</summary>
public sealed record SetPromotionDto(DateTimeOffset Until);

/// <summary>A listing's promotion: promoted until <paramref name="PromotedUntil"/>, or not at all (null).</summary>
public sealed record PromotionDto(long ListingId, DateTimeOffset? PromotedUntil);
