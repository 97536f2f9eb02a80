namespace CarRecommender.Core.Recommendation.Ranking;

/// <summary>
/// The diversity post-processor, maximal marginal relevance: repeatedly take the candidate with the best
/// λ·score − (1−λ)·(its similarity to the closest one already taken, <see cref="Similarity"/>), and skip a model already
/// taken <see cref="RankingOptions.MaxPerModel"/> times while other candidates remain: a convertible lover still sees
/// convertibles, just not ten Mustangs.
/// </summary>
public sealed class Diversity(RankingOptions? options = null) : IPostProcessor
{
    private readonly RankingOptions _options = options ?? new RankingOptions();

    public IReadOnlyList<ScoredCandidate> Apply(UserTaste taste, IReadOnlyList<ScoredCandidate> ranked, int limit) =>
        Select(ranked, limit, _options.Lambda, _options.MaxPerModel);

    public static List<ScoredCandidate> Select(IReadOnlyList<ScoredCandidate> ranked, int limit, double lambda, int maxPerModel = int.MaxValue)
    {
        var perModel = new Dictionary<(string, string), int>();
        static (string, string) ModelOf(Candidate c) => (c.Make.ToUpperInvariant(), c.Model.ToUpperInvariant());
        var remaining = ranked.OrderByDescending(s => s.Score).ThenBy(s => s.Candidate.ListingId).ToList();
        var picked = new List<ScoredCandidate>();
        var maxSimilarity = new List<double>(new double[remaining.Count]);
        while (picked.Count < limit && remaining.Count > 0)
        {
            var best = -1;
            var bestValue = double.NegativeInfinity;
            for (var pass = 0; pass < 2 && best < 0; pass++)
            {
                for (var i = 0; i < remaining.Count; i++)
                {
                    // first pass: models under their cap only; the second takes anything (a catalogue of few models)
                    if (pass == 0 && perModel.GetValueOrDefault(ModelOf(remaining[i].Candidate)) >= maxPerModel) continue;
                    var value = lambda * remaining[i].Score - (1 - lambda) * maxSimilarity[i];
                    if (value > bestValue) (best, bestValue) = (i, value);
                }
            }
            var chosen = remaining[best];
            picked.Add(chosen);
            perModel[ModelOf(chosen.Candidate)] = perModel.GetValueOrDefault(ModelOf(chosen.Candidate)) + 1;
            remaining.RemoveAt(best);
            maxSimilarity.RemoveAt(best);
            for (var i = 0; i < remaining.Count; i++)
                maxSimilarity[i] = Math.Max(maxSimilarity[i], Similarity(chosen.Candidate, remaining[i].Candidate));
        }
        return picked;
    }

    /// <summary>
    /// How interchangeable two listings are in a list, in [0, 1]: the same model 1, the same make 0.5. Content cosine is
    /// deliberately left out: the list should stay on the user's taste (price, body, fuel) and vary the cars within it.
    /// </summary>
    public static double Similarity(Candidate a, Candidate b) =>
        string.Equals(a.Make, b.Make, StringComparison.OrdinalIgnoreCase)
            ? string.Equals(a.Model, b.Model, StringComparison.OrdinalIgnoreCase) ? 1.0 : 0.5
            : 0;
}
