using CarRecommender.Core.Recommendation.Ranking;
using CarRecommender.Core.Search;

namespace CarRecommender.Core.Recommendation;

/// <summary>
/// The recommendation engine: the stages composed, the same for every caller. The API's live path and the worker's
/// list refresh compose it over PostgreSQL (<see cref="Taste.PostgresTasteLoader"/>, <see cref="Sources.CatalogueRetrieval"/>);
/// the offline evaluation over a catalogue in memory (<see cref="Evaluation.HybridRecommender"/>). Either way: the
/// user's taste → candidates from every source → the ranker → each post-processor → a reason for each pick.
/// </summary>
public sealed class RecommendationEngine(
    ITasteLoader tastes, IRetrieval retrieval, IRanker ranker, IReadOnlyList<IPostProcessor> postProcessors,
    RankingOptions? ranking = null, RetrievalOptions? depth = null)
{
    private readonly RankingOptions _ranking = ranking ?? new RankingOptions();

    public RetrievalOptions Depth { get; } = depth ?? new RetrievalOptions();

    /// <summary>The standard composition: the blend ranker and the diversity post-processor, with one set of options.</summary>
    public static RecommendationEngine Create(ITasteLoader tastes, IRetrieval retrieval, RankingOptions? ranking = null, RetrievalOptions? depth = null) =>
        new(tastes, retrieval, new BlendRanker(ranking), [new Diversity(ranking)], ranking, depth);

    /// <summary>The user's best listings for the request, or null when there is no such user.</summary>
    public async ValueTask<RecommendationResult?> RecommendAsync(RecommendationRequest request, CancellationToken ct)
    {
        if (await tastes.LoadAsync(request.UserId, ct) is not { } user) return null;
        var query = Depth.Query(user.Taste, request.Limit);
        var candidates = await retrieval.RetrieveAsync(user, request, query, ct);
        return new RecommendationResult(Rank(user, candidates, query.Excluded, request.Limit, request.Now), user.VectorsAsOf, candidates.Count);
    }

    /// <summary>
    /// The pure half: the candidates de-duplicated, the excluded ones dropped and each placed relative to the user, then
    /// ranked, post-processed and explained.
    /// </summary>
    public IReadOnlyList<RankedListing> Rank(UserContext user, IReadOnlyList<Candidate> candidates, IReadOnlySet<long> excluded, int limit,
        DateTimeOffset now)
    {
        if (limit <= 0) return [];
        var pool = candidates.DistinctBy(c => c.ListingId).Where(c => !excluded.Contains(c.ListingId))
            .Select(c => user is { Latitude: { } lat, Longitude: { } lon } && c is { Latitude: { } cl, Longitude: { } cg }
                ? c with { DistanceKm = Geo.HaversineKm(lat, lon, cl, cg) }
                : c)
            .ToList();
        if (pool.Count == 0) return [];
        var ranked = ranker.Score(user.Taste, pool, now);
        foreach (var post in postProcessors) ranked = post.Apply(user.Taste, ranked, limit);
        return ranked.Take(limit)
            .Select(s => new RankedListing(s.Candidate.ListingId, Math.Round(s.Score, 4), s.Source, Explanations.Reason(s.Candidate, s.Source, user.Taste, _ranking)))
            .ToList();
    }
}
