using MathNet.Numerics.Distributions;

namespace CarRecommender.Core.Recommendation.Experiments;

/// <summary>A proportion with its 95 % Wilson score interval.</summary>
public readonly record struct Proportion(long Successes, long Trials, double Rate, double Low, double High);

/// <summary>The statistics of an experiment's read-out: Wilson intervals and the pooled two-proportion z-test.</summary>
public static class ProportionTest
{
    private const double Z95 = 1.959963984540054;

    /// <summary>
    /// The Wilson score interval at 95 %: unlike the normal approximation it stays inside [0, 1] and behaves for small
    /// counts and rates near 0 (a click-through rate of 3 % over a few hundred lists).
    /// </summary>
    public static Proportion Wilson(long successes, long trials)
    {
        if (trials <= 0) return new Proportion(successes, trials, 0, 0, 0);
        var n = (double)trials;
        var p = successes / n;
        var z2 = Z95 * Z95;
        var centre = (p + z2 / (2 * n)) / (1 + z2 / n);
        var half = Z95 * Math.Sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n);
        return new Proportion(successes, trials, p, Math.Max(0, centre - half), Math.Min(1, centre + half));
    }

    /// <summary>
    /// Two-sided p-value of the pooled two-proportion z-test of x1/n1 against x2/n2; null when either side has no trials
    /// or nothing varies (both rates 0 or both 1).
    /// </summary>
    public static double? PValue(long x1, long n1, long x2, long n2)
    {
        if (n1 <= 0 || n2 <= 0) return null;
        var pooled = (double)(x1 + x2) / (n1 + n2);
        var se = Math.Sqrt(pooled * (1 - pooled) * (1.0 / n1 + 1.0 / n2));
        if (se == 0) return null;
        var z = ((double)x1 / n1 - (double)x2 / n2) / se;
        return 2 * (1 - Normal.CDF(0, 1, Math.Abs(z)));
    }
}
