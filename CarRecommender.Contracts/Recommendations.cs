namespace CarRecommender.Contracts;

/// <summary>
/// One recommended listing. <paramref name="RecommendationId"/> identifies the list it was served in; an event that
/// carries it (with this listing's id) is attributed to this recommendation, which is how click-through is measured.
/// </summary>
/// <param name="Promoted">A promoted (paid) placement; promoted listings fill at most the configured share of a list.</param>
public sealed record RecommendationDto(ListingSummaryDto Listing, double Score, string Source, string Reason, Guid RecommendationId,
    bool Promoted = false, ExplanationDto? Explanation = null);

/// <summary>
/// Why an item is where it is: the reason a shopper reads, the signal that mainly put it there, whether it is promoted,
/// and the business rules that shaped its place (boosts, the seller cap, promotion), one line each.
/// </summary>
public sealed record ExplanationDto(string Reason, string Source, bool Promoted, IReadOnlyList<string> Rules);

/// <param name="Mode">precomputed (the list the pipelines keep fresh) or live (ranked for this request, e.g. with filters).</param>
/// <param name="Experiment">The running experiment the list was served under, and <paramref name="Variant"/> its variant (null: none runs).</param>
public sealed record RecommendationsDto(long UserId, Guid RecommendationId, string Mode, DateTimeOffset ComputedAt, IReadOnlyList<RecommendationDto> Items,
    string? Experiment = null, string? Variant = null);
