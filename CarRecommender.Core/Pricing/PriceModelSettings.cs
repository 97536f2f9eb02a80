namespace CarRecommender.Core.Pricing;

/// <summary>
/// The gradient-boosted trees' settings (LightGBM through ML.NET) and the cross-validation's. The defaults were chosen on
/// a generated 100,000-listing catalogue for accuracy against training time on two cores (docs/PRICING.md).
/// </summary>
public sealed record PriceModelSettings
{
    public int Iterations { get; init; } = 200;
    public int Leaves { get; init; } = 63;
    public double LearningRate { get; init; } = 0.1;
    /// <summary>A leaf holds at least this many cars, so a rare model's price is pooled with its neighbours', not memorised.</summary>
    public int MinimumRowsPerLeaf { get; init; } = 20;
    public int Folds { get; init; } = 5;
    /// <summary>Seeds the fold assignment and LightGBM, so the same rows give the same model and the same figures.</summary>
    public int Seed { get; init; } = 42;
    /// <summary>LightGBM's threads; null: one per core.</summary>
    public int? Threads { get; init; }
}

/// <summary>
/// What a trained market model is: its market (the currency its prices are in; markets are never mixed), when and on how
/// many rows it was trained, with which settings, how long it took, and what its cross-validation found: the model's and
/// the baseline's accuracy, and the 10th and 90th percentiles of the out-of-fold log residuals ln(price / estimate),
/// from which an estimate's interval is drawn. Stored beside the model so the worker can version it like the ALS models.
/// </summary>
public sealed record PriceModelInfo(string Market, DateTimeOffset TrainedAt, int Rows, PriceModelSettings Settings, double TrainingSeconds,
    CrossValidation? Validation)
{
    /// <summary>The layout of the saved model (<see cref="MarketPriceModel.Save(Stream)"/>) and of its features.</summary>
    public const int CurrentFormat = 1;
    public int Format { get; init; } = CurrentFormat;
}

/// <summary>K-fold cross-validation of the model and the baseline on the same folds; see <see cref="PriceCrossValidation"/>.</summary>
public sealed record CrossValidation(int Folds, PriceAccuracy Model, PriceAccuracy Baseline, double LogResidualLow, double LogResidualHigh)
{
    /// <summary>How much lower the model's median APE is than the baseline's, as a fraction of the baseline's (0.4: 40 % lower).</summary>
    public double MedianApeImprovement => Baseline.MedianAbsolutePercentageError == 0 ? 0
        : 1 - Model.MedianAbsolutePercentageError / Baseline.MedianAbsolutePercentageError;
}
