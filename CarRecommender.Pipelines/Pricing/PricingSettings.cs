using CarRecommender.Core.Pricing;

namespace CarRecommender.Pipelines.Pricing;

/// <summary>
/// The worker's market price models (configuration section <c>Pricing</c>): how it trains them and when. Three folds, not
/// the CLI's five: the folds only measure the model (its metrics and interval), and each costs a fit; the served model is
/// fitted on every row either way.
/// </summary>
public sealed record PricingSettings
{
    /// <summary>Retrain every market this often (0: never on a schedule).</summary>
    public double RetrainMinutes { get; init; } = 360;
    /// <summary>After an import, wait until listings have not changed for this long before deciding to retrain.</summary>
    public double QuietSeconds { get; init; } = 5;
    /// <summary>An import that added at least this share of a market's listings since its model retrains it.</summary>
    public double NewListingShare { get; init; } = 0.1;
    public int Folds { get; init; } = 3;
    /// <summary>LightGBM's boosting iterations (trees).</summary>
    public int Trees { get; init; } = 200;
    /// <summary>
    /// LightGBM's threads (null: one per core). One by default: the worker's event pipelines keep the other core, and
    /// LightGBM's threads spin while they wait for each other, so on a busy machine two of them took 8× as long as one
    /// idle run (82 s against 10 s for the 20,000-listing demo market at start-up).
    /// </summary>
    public int? Threads { get; init; } = 1;

    public PriceModelSettings Model => new() { Folds = Folds, Iterations = Trees, Threads = Threads };
}
