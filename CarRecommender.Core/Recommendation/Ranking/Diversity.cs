using CarRecommender.Core.Recommendation.Rules;

namespace CarRecommender.Core.Recommendation.Ranking;

/// <summary>
/// The list's shape: maximal marginal relevance over the organic candidates (repeatedly take the one with the best
/// λ·score − (1−λ)·(its similarity to the closest one already taken, <see cref="Similarity"/>), skipping a model already
/// taken <see cref="RankingOptions.MaxPerModel"/> times while other candidates remain: a convertible lover still sees
/// convertibles, just not ten Mustangs), at most <see cref="BusinessRules.MaxPerSeller"/> listings of one seller (a hard
/// cap), and the most relevant promoted listings at the promoted slots (<see cref="ListRules.Slot{T}"/>), each marked.
/// </summary>
public sealed class Diversity(RankingOptions? options = null, BusinessRules? rules = null) : IPostProcessor
{
    private readonly RankingOptions _options = options ?? new RankingOptions();
    private readonly BusinessRules _rules = rules ?? new BusinessRules();

    public IReadOnlyList<ScoredCandidate> Apply(UserTaste taste, IReadOnlyList<ScoredCandidate> ranked, int limit, DateTimeOffset now)
    {
        var sellers = new SellerCount(_rules.MaxPerSeller);
        var promoted = new List<ScoredCandidate>();
        var slots = _rules.PromotedSlots(limit);
        foreach (var s in ranked.Where(s => s.Candidate.IsPromoted(now)).OrderByDescending(s => s.Score).ThenBy(s => s.Candidate.ListingId))
        {
            if (promoted.Count == slots) break;
            if (!sellers.TryTake(s.Candidate)) continue;
            promoted.Add(s.Noted(ListRules.PromotedNote(s.Candidate.PromotedUntil!.Value)));
        }
        // a promoted listing is never shown unmarked: those beyond the promoted slots are left out
        var organic = Select(ranked.Where(s => !s.Candidate.IsPromoted(now)).ToList(), limit, _options.Lambda, _options.MaxPerModel, sellers);
        var list = ListRules.Slot(organic, promoted, _rules, limit);
        return sellers.Capped.Count == 0 ? list
            : list.Select(s => sellers.Capped.Contains(SellerCount.Key(s.Candidate)) ? s.Noted(ListRules.SellerCapNote(_rules.MaxPerSeller)) : s).ToList();
    }

    public static List<ScoredCandidate> Select(IReadOnlyList<ScoredCandidate> ranked, int limit, double lambda, int maxPerModel = int.MaxValue,
        SellerCount? sellers = null)
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
                    if (sellers?.Full(remaining[i].Candidate) == true) continue;
                    var value = lambda * remaining[i].Score - (1 - lambda) * maxSimilarity[i];
                    if (value > bestValue) (best, bestValue) = (i, value);
                }
            }
            if (best < 0) break; // every one left is of a seller at the cap
            var chosen = remaining[best];
            sellers?.TryTake(chosen.Candidate);
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

/// <summary>Listings taken per seller against a cap (0: none); a listing without a seller is its own seller.</summary>
public sealed class SellerCount(int cap)
{
    private readonly Dictionary<string, int> _taken = new(StringComparer.Ordinal);

    /// <summary>The sellers that reached the cap (a dropped listing of theirs made the cap matter).</summary>
    public HashSet<string> Capped { get; } = new(StringComparer.Ordinal);

    public static string Key(Candidate c) => c.SellerId ?? "listing:" + c.ListingId;

    public bool Full(Candidate c)
    {
        if (cap <= 0 || c.SellerId is null || _taken.GetValueOrDefault(c.SellerId) < cap) return false;
        Capped.Add(c.SellerId);
        return true;
    }

    public bool TryTake(Candidate c)
    {
        if (Full(c)) return false;
        if (c.SellerId is not null) _taken[c.SellerId] = _taken.GetValueOrDefault(c.SellerId) + 1;
        return true;
    }
}
