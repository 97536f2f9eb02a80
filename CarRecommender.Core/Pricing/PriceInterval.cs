namespace CarRecommender.Core.Pricing;

/// <summary>
/// The interval an estimate carries: the estimate times exp of the 10th and 90th percentiles of the model's
/// cross-validated log residuals (<see cref="CrossValidation"/>); a model without a validation has none (both factors 1).
/// </summary>
public readonly record struct PriceInterval(double Low, double High)
{
    public static PriceInterval Of(PriceModelInfo info) =>
        info.Validation is { } v ? new PriceInterval(Math.Exp(v.LogResidualLow), Math.Exp(v.LogResidualHigh)) : new PriceInterval(1, 1);
}
