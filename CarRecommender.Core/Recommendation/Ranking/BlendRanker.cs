using System.Numerics.Tensors;

namespace CarRecommender.Core.Recommendation.Ranking;

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
/// <param name="DealWeight">Added to the score of a car priced below its market estimate, in full at
/// <see cref="DealFullAt"/> below (<see cref="DealBonus"/>): small, so a bargain moves up among cars the user likes as
/// much, never over one they like clearly more. 0 by default: the blend's weights are the ones the offline evaluation
/// tuned, and how much buyers care about a deal is what the learned ranker learns from their contacts (its deal-deviation
/// feature). At 0.05 a shopper saving convertibles over €25,000 got five cheap bargains in their top 10 (the scores of a
/// top 10 often span less than 0.1), and even 0.02 sometimes took one of them below six of ten; an operator or an
/// experiment variant may still set it (<c>ranking.dealWeight</c>).</param>
public sealed record RankingOptions(
    double CollaborativeMax = 0.8, double CollaborativeHalfHistory = 10, double TrendingCold = 0.5, double TrendingHalfHistory = 3,
    double SeenPenalty = 0.5, double Lambda = 0.95, int MaxPerModel = 3, double NearKm = 100, double CarModelShare = 0.1,
    double PriceDropBoost = 1.0, double DealWeight = 0)
{
    /// <summary>The deviation below the estimate at which the deal bonus is full (20 % below).</summary>
    public const double DealFullAt = 0.2;

    /// <summary><see cref="DealWeight"/> × clamp(−deviation / <see cref="DealFullAt"/>, 0, 1): nothing for a car at or above its estimate, or without one.</summary>
    public double DealBonus(double? deviation) => deviation is { } d ? DealWeight * Math.Clamp(-d / DealFullAt, 0, 1) : 0;
}

/// <summary>
/// The hand-tuned ranker: every candidate gets a content score (cosine to the user's content vector), a collaborative
/// score (inner product with the user's latent factors), a car-model score (the car-model EASE: how much the models the
/// user liked speak for this car's model) and a trending score, each min–max normalised over the candidates and blended
/// with weights that follow the user's history length, plus a small bonus for a car priced below its market estimate.
/// Listings the user already knows are penalised, unless their price dropped since, which lifts them to the top.
/// Returns every candidate, best first.
/// </summary>
public sealed class BlendRanker(RankingOptions? options = null) : IRanker
{
    public RankingOptions Options { get; } = options ?? new RankingOptions();

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

    public IReadOnlyList<ScoredCandidate> Score(UserTaste user, IReadOnlyList<Candidate> candidates, DateTimeOffset now)
    {
        var scored = Blend(user, candidates, now).Scored;
        Array.Sort(scored, ScoredCandidate.BestFirst);
        return scored;
    }

    /// <summary>
    /// Every candidate's blend in the candidates' order, with the raw signals it was made of (the learned ranker's
    /// features start from them).
    /// </summary>
    public BlendScores Blend(UserTaste user, IReadOnlyList<Candidate> candidates, DateTimeOffset now)
    {
        var o = Options;
        var history = user.History.ToDictionary(h => h.ListingId);
        var raw = new BlendSignals(
            candidates.Select(c => user.Content is { } u && c.Content is { } v ? (double?)Cosine(u, v) : null).ToArray(),
            candidates.Select(c => user.Latent is { } u && c.Latent is { } v ? (double?)TensorPrimitives.Dot(u, v) : null).ToArray(),
            candidates.Select(c => user.CarModels.Of(c.Make, c.Model)?.Score).ToArray(),
            candidates.Select(c => Trending.Score(c.TrendKey, now)).ToArray());
        var content = Normalise(raw.Content);
        var collaborative = Normalise(raw.Latent);
        var carModel = Normalise(raw.CarModel);
        var trending = Normalise(raw.Trending.Select(t => (double?)t));
        var (wc, wl, wm, wt) = Weights(user, o);

        var scored = new ScoredCandidate[candidates.Count];
        for (var i = 0; i < candidates.Count; i++)
        {
            var parts = (Content: wc * content[i], Collaborative: wl * collaborative[i], CarModel: wm * carModel[i], Trending: wt * trending[i]);
            var score = parts.Content + parts.Collaborative + parts.CarModel + parts.Trending + o.DealBonus(candidates[i].MarketDeviation);
            var seen = history.GetValueOrDefault(candidates[i].ListingId);
            var priceDropped = seen is { Seen: true, PriceDrop: > 0 };
            if (priceDropped) score += o.PriceDropBoost;
            else if (seen is { Seen: true }) score *= o.SeenPenalty;
            var collaborativeBest = Math.Max(parts.Collaborative, parts.CarModel);
            var source = priceDropped ? RecommendationSource.PriceDrop
                : collaborativeBest > parts.Content && collaborativeBest >= parts.Trending
                    ? parts.CarModel > parts.Collaborative ? RecommendationSource.CarModel : RecommendationSource.Collaborative
                : parts.Content >= parts.Trending && wc > 0 ? RecommendationSource.Content
                : RecommendationSource.Trending;
            scored[i] = new ScoredCandidate(candidates[i], score, source);
        }
        return new BlendScores(scored, raw);
    }

    public static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var na = TensorPrimitives.Norm(a);
        var nb = TensorPrimitives.Norm(b);
        return na == 0 || nb == 0 ? 0 : TensorPrimitives.Dot(a, b) / (na * nb);
    }

    /// <summary>Min–max to [0, 1] over the candidates; a missing score is 0, and so is a constant one (it tells nothing apart).</summary>
    private static double[] Normalise(IEnumerable<double?> values)
    {
        var v = values as double?[] ?? values.ToArray();
        var present = v.Where(x => x is not null).Select(x => x!.Value).ToList();
        if (present.Count == 0) return new double[v.Length];
        var (min, max) = (present.Min(), present.Max());
        return v.Select(x => x is not { } value || max <= min ? 0 : (value - min) / (max - min)).ToArray();
    }
}

/// <summary>The blend's raw signals per candidate, before normalisation (null: the user or the listing lacks the vector or model).</summary>
public sealed record BlendSignals(double?[] Content, double?[] Latent, double?[] CarModel, double[] Trending);

/// <summary>The blend of every candidate in the candidates' order (not sorted), and the raw signals it came from.</summary>
public sealed record BlendScores(ScoredCandidate[] Scored, BlendSignals Signals);
