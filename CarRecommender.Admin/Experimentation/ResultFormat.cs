using System.Globalization;

namespace CarRecommender.Admin.Experimentation;

/// <summary>How the results table writes rates, intervals and p-values.</summary>
public static class ResultFormat
{
    /// <summary>The threshold of the "significant at 5 %" mark.</summary>
    public const double Alpha = 0.05;

    /// <summary>
    /// "4.2 % (3.1–5.6 %)": the rate and its 95 % interval, with a second decimal when the interval stays under 1 %
    /// (contact rates), so small rates do not all read "0.1 %".
    /// </summary>
    public static string Rate(RateDto rate)
    {
        if (rate.Trials == 0) return "no lists yet";
        var format = rate.High < 0.01 ? "0.00" : "0.0";
        string P(double v) => (v * 100).ToString(format, CultureInfo.InvariantCulture);
        return $"{P(rate.Rate)} % ({P(rate.Low)}–{P(rate.High)} %)";
    }

    /// <summary>A p-value with three decimals, "&lt; 0.001" below that; a dash when there is none.</summary>
    public static string PValue(double? p) => p switch
    {
        null => "–",
        < 0.001 => "< 0.001",
        { } v => v.ToString("0.000", CultureInfo.InvariantCulture),
    };

    public static bool Significant(double? p) => p is < Alpha;

    /// <summary>A share of 1 as a percentage: 0.5 → "50 %".</summary>
    public static string Share(double share) => (share * 100).ToString("0.##", CultureInfo.InvariantCulture) + " %";
}
