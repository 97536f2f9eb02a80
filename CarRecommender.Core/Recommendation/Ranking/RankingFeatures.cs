namespace CarRecommender.Core.Recommendation.Ranking;

/// <summary>
/// What the learned ranker knows of one (user, candidate) pair: the blend's raw signals, the deal, the price against the
/// user's usual price, distance, listing age, seller type, whether the user has seen it, and the blend's own score. A
/// value that is not known (no market estimate, no location, no vector) is NaN, which the trees route on their own.
/// Training and serving compute the rows with this one class, so a model never sees features made another way.
/// </summary>
public static class RankingFeatures
{
    /// <summary>The features' names, in the order of a row (the model stores them, so a reordering is caught at load).</summary>
    public static readonly IReadOnlyList<string> Names =
    [
        "content", "latent", "car-model", "trending", "deal-deviation", "price-vs-usual", "distance-km", "age-days", "seller-type", "seen",
        "blend",
    ];

    public static int Count => Names.Count;

    /// <summary>The rows of <paramref name="candidates"/> for the user, one after another (candidate i at [i·Count, (i+1)·Count)).</summary>
    public static float[] Compute(UserTaste user, IReadOnlyList<Candidate> candidates, BlendScores blend, DateTimeOffset now)
    {
        var rows = new float[candidates.Count * Count];
        var usual = UsualPrice(user);
        var seen = new HashSet<long>();
        foreach (var h in user.History)
            if (h.Seen)
                seen.Add(h.ListingId);
        var s = blend.Signals;
        for (var i = 0; i < candidates.Count; i++)
        {
            var c = candidates[i];
            var row = rows.AsSpan(i * Count, Count);
            row[0] = Value(s.Content[i]);
            row[1] = Value(s.Latent[i]);
            row[2] = Value(s.CarModel[i]);
            row[3] = (float)s.Trending[i];
            row[4] = Value(c.MarketDeviation);
            row[5] = usual > 0 && c.Price > 0 ? (float)Math.Log(c.Price / usual) : float.NaN;
            row[6] = Value(c.DistanceKm);
            row[7] = c.CreatedAt is { } created ? (float)Math.Max(0, (now - created).TotalDays) : float.NaN;
            row[8] = c.SellerType == Domain.SellerType.Unknown ? float.NaN : (float)c.SellerType;
            row[9] = seen.Contains(c.ListingId) ? 1 : 0;
            row[10] = (float)blend.Scored[i].Score;
        }
        return rows;
    }

    /// <summary>The median asking price of the user's history (0: none known), what "their usual price" means.</summary>
    public static double UsualPrice(UserTaste user)
    {
        var prices = user.History.Where(h => h.Price > 0 && !h.Dismissed).Select(h => (double)h.Price).Order().ToArray();
        if (prices.Length == 0) return 0;
        var mid = prices.Length / 2;
        return prices.Length % 2 == 1 ? prices[mid] : (prices[mid - 1] + prices[mid]) / 2;
    }

    private static float Value(double? v) => v is { } x && double.IsFinite(x) ? (float)x : float.NaN;
}
