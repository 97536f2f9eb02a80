using CarRecommender.Core.Data;
using CarRecommender.Core.Learning;

namespace CarRecommender.Core.Evaluation;

/// <summary>One tried setting and its validation metrics.</summary>
public sealed record TuningTrial(AlsOptions Options, MetricsAtK Validation, TimeSpan FitTime);

/// <summary>All trials, best (highest validation NDCG@K) first.</summary>
public sealed record TuningResult(IReadOnlyList<TuningTrial> Trials)
{
    public TuningTrial Best => Trials[0];
}

/// <summary>
/// Random search over ALS hyper-parameters on a validation split carved from the training pairs with the same protocol
/// (<see cref="DataSplit.Validation"/>), so the test pairs are never seen. The first trial is the base setting, so the
/// search never reports anything worse than it on validation.
/// </summary>
public static class AlsTuner
{
    public static readonly int[] FactorGrid = [32, 64, 128];
    public static readonly double[] RegularizationGrid = [0.1, 1, 5, 20];
    public static readonly double[] AlphaGrid = [1, 3, 10, 30];
    public static readonly int[] IterationGrid = [10, 15, 25];

    public static TuningResult Tune(DataSplit split, AlsOptions baseOptions, int k, int trials = 12, IProgress<LoadProgress>? progress = null,
        CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(trials, 1);
        var validation = split.Validation();
        var candidates = Candidates(baseOptions, trials, split.Options.Seed);
        var results = new List<TuningTrial>();
        for (var n = 0; n < candidates.Count; n++)
        {
            progress?.Report(new LoadProgress("tuning ALS: trials", n, candidates.Count));
            var result = Evaluator.Run(validation, new AlsRecommender(candidates[n]), k, null, ct);
            results.Add(new TuningTrial(candidates[n], result.Metrics, result.FitTime));
        }
        progress?.Report(new LoadProgress("tuning ALS: trials", candidates.Count, candidates.Count));
        return new TuningResult(results.OrderByDescending(t => t.Validation.Ndcg).ToList());
    }

    /// <summary>The base setting, then distinct random points of the grid (deterministic for a seed).</summary>
    public static IReadOnlyList<AlsOptions> Candidates(AlsOptions baseOptions, int trials, int seed)
    {
        var grid = (from f in FactorGrid
                    from r in RegularizationGrid
                    from a in AlphaGrid
                    from i in IterationGrid
                    select baseOptions with { Factors = f, Regularization = r, Alpha = a, Iterations = i })
            .Where(o => o != baseOptions).ToArray();
        new Random(seed).Shuffle(grid);
        return [baseOptions, .. grid.Take(Math.Min(trials - 1, grid.Length))];
    }
}
