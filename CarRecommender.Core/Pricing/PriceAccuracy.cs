namespace CarRecommender.Core.Pricing;

/// <summary>
/// How close estimates came to asking prices held out of training: mean absolute error in the market's currency, and
/// the median and mean absolute percentage error (|estimate − price| / price, as a fraction: 0.08 is 8 %). The median
/// is the headline: a few mispriced or mistyped listings move the mean, not the median.
/// </summary>
public sealed record PriceAccuracy(int Rows, double MeanAbsoluteError, double MedianAbsolutePercentageError, double MeanAbsolutePercentageError,
    double FitSeconds)
{
    public static PriceAccuracy Of(ReadOnlySpan<float> prices, ReadOnlySpan<float> estimates, double fitSeconds)
    {
        if (prices.Length != estimates.Length) throw new ArgumentException("one estimate per price");
        if (prices.Length == 0) return new PriceAccuracy(0, 0, 0, 0, fitSeconds);
        var percentages = new double[prices.Length];
        double absolute = 0, percentage = 0;
        for (var i = 0; i < prices.Length; i++)
        {
            var error = Math.Abs((double)estimates[i] - prices[i]);
            absolute += error;
            percentage += percentages[i] = error / prices[i];
        }
        Array.Sort(percentages);
        var n = percentages.Length;
        var median = n % 2 == 1 ? percentages[n / 2] : (percentages[n / 2 - 1] + percentages[n / 2]) / 2;
        return new PriceAccuracy(n, absolute / n, median, percentage / n, fitSeconds);
    }
}
