using CarRecommender.Core.Recommendation.Ranking;
using CarRecommender.Core.Recommendation.Rules;
using CarRecommender.Core.Search;

namespace CarRecommender.Core.Recommendation;

/// <summary>
/// The recommendation engine: the stages composed, the same for every caller. The API's live path and the worker's
/// list refresh compose it over PostgreSQL (<see cref="Taste.PostgresTasteLoader"/>, <see cref="Sources.CatalogueRetrieval"/>);
/// the offline evaluation over a catalogue in memory (<see cref="Evaluation.HybridRecommender"/>). Either way: the
/// user's taste → candidates from every source the settings run → the ranker → the post-processors (boosts, then
/// diversity with the seller cap and promoted slots) → a reason for each pick. The settings are the engine's defaults
/// (configuration) unless the request carries an experiment variant's. The ranker is the learned one when the settings
/// ask for it and a model serves (<see cref="ServingRanker"/>), else the blend.
/// </summary>
public sealed class RecommendationEngine(ITasteLoader tastes, IRetrieval retrieval, EngineSettings? defaults = null, RetrievalOptions? depth = null,
    ServingRanker? ranker = null)
{
    public EngineSettings Defaults { get; } = defaults ?? EngineSettings.Default;

    public RetrievalOptions Depth { get; } = depth ?? new RetrievalOptions();

    /// <summary>The standard composition with default rules and the given ranking options.</summary>
    public static RecommendationEngine Create(ITasteLoader tastes, IRetrieval retrieval, RankingOptions? ranking = null, RetrievalOptions? depth = null) =>
        new(tastes, retrieval, ranking is null ? null : EngineSettings.Default with { Ranking = ranking }, depth);

    /// <summary>The same engine for another kind of visitor (an anonymous session's taste).</summary>
    public RecommendationEngine With(ITasteLoader other) => new(other, retrieval, Defaults, Depth, ranker);

    /// <summary>The user's best listings for the request, or null when there is no such user.</summary>
    public async ValueTask<RecommendationResult?> RecommendAsync(RecommendationRequest request, CancellationToken ct)
    {
        if (await tastes.LoadAsync(request.UserId, ct) is not { } user) return null;
        var settings = request.Settings ?? Defaults;
        var query = Depth.Query(user.Taste, request.Limit, request.Exclude) with { Now = request.Now, Settings = settings };
        var candidates = await retrieval.RetrieveAsync(user, request, query, ct);
        var model = settings.UsesLearnedRanker && ranker is not null ? await ranker.CurrentAsync(ct) : ServedModel.None;
        return new RecommendationResult(Rank(user, candidates, query.Excluded, request.Limit, request.Now, settings, model.Model), user.VectorsAsOf,
            candidates.Count)
        {
            RankerVersion = model.Model is null ? null : model.Version,
        };
    }

    /// <summary>
    /// The pure half: the candidates de-duplicated, the excluded ones dropped and each placed relative to the user, then
    /// ranked (by <paramref name="model"/> when the settings use the learned ranker, else by the blend), post-processed
    /// and explained.
    /// </summary>
    public IReadOnlyList<RankedListing> Rank(UserContext user, IReadOnlyList<Candidate> candidates, IReadOnlySet<long> excluded, int limit,
        DateTimeOffset now, EngineSettings? settings = null, RankerModel? model = null)
    {
        settings ??= Defaults;
        if (limit <= 0) return [];
        var pool = candidates.DistinctBy(c => c.ListingId).Where(c => !excluded.Contains(c.ListingId))
            .Select(c => user is { Latitude: { } lat, Longitude: { } lon } && c is { Latitude: { } cl, Longitude: { } cg }
                ? c with { DistanceKm = Geo.HaversineKm(lat, lon, cl, cg) }
                : c)
            .ToList();
        if (pool.Count == 0) return [];
        IRanker ranker = settings.UsesLearnedRanker && model is not null ? new LearnedRanker(model, settings.Ranking) : new BlendRanker(settings.Ranking);
        var ranked = ranker.Score(user.Taste, pool, now);
        foreach (var post in ListRules.PostProcessors(settings)) ranked = post.Apply(user.Taste, ranked, limit, now);
        return ranked.Take(limit)
            .Select(s => new RankedListing(s.Candidate.ListingId, Math.Round(s.Score, 4), s.Source,
                Explanations.Reason(s.Candidate, s.Source, user.Taste, settings.Ranking))
            {
                Promoted = s.Candidate.IsPromoted(now),
                Notes = Explanations.Deal(s.Candidate) is { } deal ? [.. s.Notes ?? [], deal] : s.Notes ?? [],
            })
            .ToList();
    }
}
