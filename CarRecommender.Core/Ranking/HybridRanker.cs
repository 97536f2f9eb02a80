using System.Numerics.Tensors;
using CarRecommender.Core.Domain;
using CarRecommender.Core.Learning;

namespace CarRecommender.Core.Ranking;

/// <summary>The blend and diversity knobs (defaults tuned with the offline evaluation, see docs/ARCHITECTURE.md).</summary>
/// <param name="CollaborativeMax">Weight of the collaborative scores (listing factors and car-model EASE together) for a user
/// with a long history.</param>
/// <param name="CollaborativeHalfHistory">Interactions at which the collaborative weight reaches half its maximum.</param>
/// <param name="TrendingCold">Weight of trending for a user with no history; it fades as the history grows.</param>
/// <param name="TrendingHalfHistory">Interactions at which the trending weight has halved.</param>
/// <param name="SeenPenalty">Score multiplier for listings the user has already viewed or saved.</param>
/// <param name="Lambda">MMR trade-off: 1 = relevance only, 0 = diversity only.</param>
/// <param name="MaxPerModel">At most this many listings of one make and model in a list (while others are left).</param>
/// <param name="NearKm">"Trending near you" radius.</param>
/// <param name="CarModelShare">The car-model EASE score's share of the collaborative weight when the user has both it
/// and listing factors (either alone takes the whole collaborative weight).</param>
/// <param name="PriceDropBoost">Added to the score of a car the user viewed or saved whose price has dropped since (scores
/// are blends in [0, 1], so 1 brings it to the top), instead of the seen penalty.</param>
public sealed record RankingOptions(
    double CollaborativeMax = 0.8, double CollaborativeHalfHistory = 10, double TrendingCold = 0.5, double TrendingHalfHistory = 3,
    double SeenPenalty = 0.5, double Lambda = 0.95, int MaxPerModel = 3, double NearKm = 100, double CarModelShare = 0.1,
    double PriceDropBoost = 1.0);

/// <summary>
/// Hybrid ranking: every candidate gets a content score (cosine to the user's content vector), a collaborative score
/// (inner product with the user's latent factors), a car-model score (the car-model EASE: how much the models the user
/// liked speak for this car's model) and a trending score, each min–max normalised over the candidates and blended with
/// weights that follow the user's history length; then MMR picks a diverse top-k and each pick gets a reason a person
/// can read. Pure: retrieval and storage live elsewhere.
/// </summary>
public static class HybridRanker
{
    public static (double Content, double Collaborative, double CarModel, double Trending) Weights(UserTaste user, RankingOptions o)
    {
        var n = user.InteractionCount;
        var (latent, carModel) = (user.Latent is not null, !user.CarModels.IsEmpty);
        var total = latent || carModel ? o.CollaborativeMax * n / (n + o.CollaborativeHalfHistory) : 0;
        var share = latent && carModel ? o.CarModelShare : carModel ? 1 : 0;
        var content = user.Content is null ? 0 : 1 - total;
        var trending = content + total == 0 ? 1 : o.TrendingCold * o.TrendingHalfHistory / (n + o.TrendingHalfHistory);
        return (content, total * (1 - share), total * share, trending);
    }

    public static IReadOnlyList<RankedListing> Rank(UserTaste user, IReadOnlyList<Candidate> candidates, int limit, DateTimeOffset now,
        RankingOptions? options = null)
    {
        var o = options ?? new RankingOptions();
        var history = user.History.ToDictionary(h => h.ListingId);
        var pool = candidates.DistinctBy(c => c.ListingId)
            .Where(c => !(history.TryGetValue(c.ListingId, out var h) && h.Excluded)).ToList();
        if (pool.Count == 0 || limit <= 0) return [];

        var content = Normalise(pool.Select(c => user.Content is { } u && c.Content is { } v ? (double?)Cosine(u, v) : null));
        var collaborative = Normalise(pool.Select(c => user.Latent is { } u && c.Latent is { } v ? (double?)TensorPrimitives.Dot(u, v) : null));
        var carModel = Normalise(pool.Select(c => user.CarModels.Of(c.Make, c.Model)?.Score));
        var trending = Normalise(pool.Select(c => (double?)Trending.Score(c.TrendKey, now)));
        var (wc, wl, wm, wt) = Weights(user, o);

        var scored = new (Candidate Candidate, double Score, RecommendationSource Source)[pool.Count];
        for (var i = 0; i < pool.Count; i++)
        {
            var parts = (Content: wc * content[i], Collaborative: wl * collaborative[i], CarModel: wm * carModel[i], Trending: wt * trending[i]);
            var score = parts.Content + parts.Collaborative + parts.CarModel + parts.Trending;
            var seen = history.GetValueOrDefault(pool[i].ListingId);
            var priceDropped = seen is { Seen: true, PriceDrop: > 0 };
            if (priceDropped) score += o.PriceDropBoost;
            else if (seen is { Seen: true }) score *= o.SeenPenalty;
            var collaborativeBest = Math.Max(parts.Collaborative, parts.CarModel);
            var source = priceDropped ? RecommendationSource.PriceDrop
                : collaborativeBest > parts.Content && collaborativeBest >= parts.Trending
                    ? parts.CarModel > parts.Collaborative ? RecommendationSource.CarModel : RecommendationSource.Collaborative
                : parts.Content >= parts.Trending && wc > 0 ? RecommendationSource.Content
                : RecommendationSource.Trending;
            scored[i] = (pool[i], score, source);
        }

        return Diversify(scored, limit, o.Lambda, o.MaxPerModel)
            .Select(s => new RankedListing(s.Candidate.ListingId, Math.Round(s.Score, 4), s.Source, Reason(s.Candidate, s.Source, user, o)))
            .ToList();
    }

    /// <summary>
    /// Maximal marginal relevance: repeatedly take the candidate with the best λ·score − (1−λ)·(its similarity to the
    /// closest one already taken, <see cref="Similarity"/>), and skip a model already taken
    /// <paramref name="maxPerModel"/> times while other candidates remain: a convertible lover still sees convertibles,
    /// just not ten Mustangs.
    /// </summary>
    public static List<(Candidate Candidate, double Score, RecommendationSource Source)> Diversify(
        IReadOnlyList<(Candidate Candidate, double Score, RecommendationSource Source)> scored, int limit, double lambda, int maxPerModel = int.MaxValue)
    {
        var perModel = new Dictionary<(string, string), int>();
        (string, string) ModelOf(Candidate c) => (c.Make.ToUpperInvariant(), c.Model.ToUpperInvariant());
        var remaining = scored.OrderByDescending(s => s.Score).ThenBy(s => s.Candidate.ListingId).ToList();
        var picked = new List<(Candidate Candidate, double Score, RecommendationSource Source)>();
        var maxSimilarity = new double[remaining.Count];
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
            var similarities = maxSimilarity.ToList();
            similarities.RemoveAt(best);
            for (var i = 0; i < remaining.Count; i++)
                similarities[i] = Math.Max(similarities[i], Similarity(chosen.Candidate, remaining[i].Candidate));
            maxSimilarity = [.. similarities];
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

    /// <summary>The human reason: the history item the recommendation is closest to, in the space that recommended it.</summary>
    public static string Reason(Candidate c, RecommendationSource source, UserTaste user, RankingOptions o)
    {
        var anchors = user.History.Where(h => h.IsAnchor).ToList();
        switch (source)
        {
            case RecommendationSource.PriceDrop when anchors.FirstOrDefault(a => a.ListingId == c.ListingId) is { PriceDrop: { } drop } item:
                return string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"Price dropped by €{drop:N0} on the {item.Year} {item.Model} you {Verb(item.Strongest)}");
            case RecommendationSource.Content when c.Content is { } v:
                var similar = anchors.Where(h => h.Content is not null).MaxBy(h => Cosine(v, h.Content!));
                return similar is null ? "Matches the cars you have looked at"
                    : $"Similar to the {similar.Year} {similar.Make} {similar.Model} you {Verb(similar.Strongest)}";
            case RecommendationSource.Collaborative when c.Latent is { } f:
                var related = anchors.Where(h => h.Latent is not null).MaxBy(h => TensorPrimitives.Dot(f, h.Latent!));
                return related is null ? "Popular with shoppers like you"
                    : $"Popular with people who {Verb(related.Strongest)} the {related.Make} {related.Model} you {Verb(related.Strongest)}";
            case RecommendationSource.CarModel when user.CarModels.Of(c.Make, c.Model) is { } m:
                var anchor = anchors.Where(h => CarModelEase.Key(h.Make, h.Model) == m.Because)
                    .OrderByDescending(h => h.Strongest).FirstOrDefault();
                return anchor is null ? "Popular with shoppers who like the cars you looked at"
                    : $"People who {Verb(anchor.Strongest)} the {anchor.Make} {anchor.Model} also looked at the {c.Make} {c.Model}";
            default:
                return c.DistanceKm <= o.NearKm ? "Trending near you" : "Trending this week";
        }
    }

    private static string Verb(InteractionType? type) =>
        (type is { } t ? Recommendation.EventCatalogue.Of(t).Verb : null) ?? Recommendation.EventCatalogue.Of(InteractionType.View).Verb!;

    public static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var na = TensorPrimitives.Norm(a);
        var nb = TensorPrimitives.Norm(b);
        return na == 0 || nb == 0 ? 0 : TensorPrimitives.Dot(a, b) / (na * nb);
    }

    /// <summary>Min–max to [0, 1] over the candidates; a missing score is 0, and so is a constant one (it tells nothing apart).</summary>
    private static double[] Normalise(IEnumerable<double?> values)
    {
        var v = values.ToArray();
        var present = v.Where(x => x is not null).Select(x => x!.Value).ToList();
        if (present.Count == 0) return new double[v.Length];
        var (min, max) = (present.Min(), present.Max());
        return v.Select(x => x is not { } value || max <= min ? 0 : (value - min) / (max - min)).ToArray();
    }
}
