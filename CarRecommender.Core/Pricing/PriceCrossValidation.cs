using System.Diagnostics;
using Microsoft.ML;

namespace CarRecommender.Core.Pricing;

/// <summary>
/// K-fold cross-validation of the price model against <see cref="GroupMedianBaseline"/> on the same folds: rows are
/// shuffled with the settings' seed and dealt into k folds; each fold is estimated by a model and a baseline fitted on
/// the other k − 1; the accuracies pool every row's out-of-fold estimate. Fit times are the mean per fold.
/// </summary>
public static class PriceCrossValidation
{
    public static CrossValidation Run(IReadOnlyList<PriceRow> rows, PriceModelSettings settings, IProgress<int>? foldsDone = null,
        CancellationToken ct = default)
    {
        var k = settings.Folds;
        if (k < 2) throw new ArgumentOutOfRangeException(nameof(settings), "cross-validation needs at least 2 folds");
        if (rows.Count < k) throw new ArgumentException($"{rows.Count} rows cannot fill {k} folds", nameof(rows));
        var fold = Folds(rows.Count, k, settings.Seed);
        var prices = new float[rows.Count];
        var model = new float[rows.Count];
        var baseline = new float[rows.Count];
        double modelSeconds = 0, baselineSeconds = 0;
        var ml = new MLContext(settings.Seed);
        for (var f = 0; f < k; f++)
        {
            ct.ThrowIfCancellationRequested();
            var held = Enumerable.Range(0, rows.Count).Where(i => fold[i] == f).ToArray();
            // a list, not a lazy filter: ML.NET counts and passes over its input several times, and a list it reads by index
            var training = rows.Where((_, i) => fold[i] != f).ToList();
            var clock = Stopwatch.StartNew();
            var fitted = MarketPriceModel.Fit(ml, ml.Data.LoadFromEnumerable(training), settings);
            modelSeconds += clock.Elapsed.TotalSeconds;
            clock.Restart();
            var medians = GroupMedianBaseline.Fit(training);
            baselineSeconds += clock.Elapsed.TotalSeconds;
            var estimates = MarketPriceModel.Predict(ml, fitted, held.Select(i => rows[i]));
            for (var j = 0; j < held.Length; j++)
            {
                var i = held[j];
                prices[i] = rows[i].Price;
                model[i] = estimates[j];
                baseline[i] = medians.Estimate(rows[i]);
            }
            foldsDone?.Report(f + 1);
        }
        var residuals = new double[rows.Count];
        for (var i = 0; i < residuals.Length; i++) residuals[i] = Math.Log(prices[i] / model[i]);
        Array.Sort(residuals);
        return new CrossValidation(k, PriceAccuracy.Of(prices, model, modelSeconds / k), PriceAccuracy.Of(prices, baseline, baselineSeconds / k),
            Quantile(residuals, 0.1), Quantile(residuals, 0.9));
    }

    /// <summary>Each row's fold: a seeded shuffle dealt round-robin, so folds differ in size by one at most.</summary>
    public static int[] Folds(int rows, int k, int seed)
    {
        var order = Enumerable.Range(0, rows).ToArray();
        new Random(seed).Shuffle(order);
        var fold = new int[rows];
        for (var i = 0; i < order.Length; i++) fold[order[i]] = i % k;
        return fold;
    }

    /// <summary>The <paramref name="q"/> quantile of sorted values, interpolated between neighbours.</summary>
    private static double Quantile(double[] sorted, double q)
    {
        var at = q * (sorted.Length - 1);
        var below = (int)Math.Floor(at);
        var above = Math.Min(below + 1, sorted.Length - 1);
        return sorted[below] + (at - below) * (sorted[above] - sorted[below]);
    }
}
