using CarRecommender.Core.Data;

namespace CarRecommender.Core.Pricing;

/// <summary>The markets of a catalogue, each cross-validated and trained; markets too small to learn from, by their row count.</summary>
public sealed record MarketModels(IReadOnlyList<MarketPriceModel> Models, IReadOnlyDictionary<string, int> TooSmall);

/// <summary>
/// Trains one price model per market: a market is a currency, since prices in two currencies are two markets (a car's
/// price in pounds says little about its price in euros beyond the exchange rate, and rates move). Each market is
/// cross-validated first (<see cref="PriceCrossValidation"/>), then trained on all its rows.
/// </summary>
public static class MarketPricing
{
    /// <summary>Fewer rows than this say too little about a market's prices to train or judge a model on.</summary>
    public const int MinimumRows = 100;

    /// <summary>
    /// Whether a market of <paramref name="total"/> active listings, <paramref name="newer"/> of them newer than its
    /// active model (all of them when it has none), should be trained: it has enough listings, and no model yet or at
    /// least <paramref name="share"/> of its listings arrived since the model.
    /// </summary>
    public static bool Due(int total, int newer, double share) =>
        total >= MinimumRows && newer > 0 && (newer == total || newer >= share * total);

    public static MarketModels Train(IReadOnlyList<PriceRow> rows, PriceModelSettings settings, DateTimeOffset now,
        IProgress<LoadProgress>? progress = null, CancellationToken ct = default)
    {
        var models = new List<MarketPriceModel>();
        var tooSmall = new Dictionary<string, int>();
        // a price of nothing is no price (the importer rejects it; a hand-made row might not)
        foreach (var market in rows.Where(r => r.Price > 0).GroupBy(r => r.Currency).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal))
        {
            var marketRows = market.ToList();
            if (marketRows.Count < Math.Max(MinimumRows, settings.Folds))
            {
                tooSmall[market.Key] = marketRows.Count;
                continue;
            }
            var stage = $"{market.Key} market: {settings.Folds} folds and the final model";
            progress?.Report(new LoadProgress(stage, 0, settings.Folds + 1));
            var validation = PriceCrossValidation.Run(marketRows, settings,
                progress is null ? null : new SyncProgress<int>(f => progress.Report(new LoadProgress(stage, f, settings.Folds + 1))), ct);
            ct.ThrowIfCancellationRequested();
            models.Add(MarketPriceModel.Train(marketRows, settings, now, validation));
            progress?.Report(new LoadProgress(stage, settings.Folds + 1, settings.Folds + 1));
        }
        return new MarketModels(models, tooSmall);
    }
}
