namespace CarRecommender.Core.Recommendation.Ranking;

/// <summary>
/// The learned ranker: the blend first (its parts give every candidate its source, so reasons stay the blend's), then
/// the features (<see cref="RankingFeatures"/>) scored by a trained LambdaRank model (<see cref="RankerModel"/>), min–max
/// normalised over the candidates to [0, 1] so the boosts and the diversity trade-off after it mean what they mean
/// for the blend. A seen car whose price dropped keeps the blend's lift to the top (a promise to the user, not a
/// guess). Without a model it is the blend.
/// </summary>
public sealed class LearnedRanker(RankerModel? model, RankingOptions? options = null) : IRanker
{
    private readonly BlendRanker _blend = new(options);

    public RankerModel? Model { get; } = model is not null && model.Fits(RankingFeatures.Names) ? model : null;

    public IReadOnlyList<ScoredCandidate> Score(UserTaste taste, IReadOnlyList<Candidate> candidates, DateTimeOffset now)
    {
        if (Model is null) return _blend.Score(taste, candidates, now);
        var blend = _blend.Blend(taste, candidates, now);
        var rows = RankingFeatures.Compute(taste, candidates, blend, now);
        var scores = new double[candidates.Count];
        Model.Score(rows, scores);
        var (min, max) = scores.Length == 0 ? (0, 0) : (scores.Min(), scores.Max());
        var scored = new ScoredCandidate[candidates.Count];
        var boost = _blend.Options.PriceDropBoost;
        for (var i = 0; i < scored.Length; i++)
        {
            var score = max > min ? (scores[i] - min) / (max - min) : 0;
            scored[i] = blend.Scored[i] with { Score = blend.Scored[i].Source == RecommendationSource.PriceDrop ? score + boost : score };
        }
        Array.Sort(scored, ScoredCandidate.BestFirst);
        return scored;
    }
}
