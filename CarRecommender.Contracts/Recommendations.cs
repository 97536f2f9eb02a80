namespace CarRecommender.Contracts;

/// <summary>
/// One recommended listing. <paramref name="RecommendationId"/> identifies the list it was served in; an event that
/// carries it (with this listing's id) is attributed to this recommendation, which is how click-through is measured.
/// </summary>
public sealed record RecommendationDto(ListingSummaryDto Listing, double Score, string Source, string Reason, Guid RecommendationId);

/// <param name="Mode">precomputed (the list the pipelines keep fresh) or live (ranked for this request, e.g. with filters).</param>
public sealed record RecommendationsDto(long UserId, Guid RecommendationId, string Mode, DateTimeOffset ComputedAt, IReadOnlyList<RecommendationDto> Items);
