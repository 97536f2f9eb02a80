using System.Globalization;

namespace CarRecommender.Core.Pricing;

/// <summary>How a listing's asking price compares with the market price of similar cars (CarGurus' five levels).</summary>
public enum DealRating { Great, Good, Fair, High, Overpriced }

/// <summary>What the market price model says of one listing.</summary>
/// <param name="Estimate">The market price of similar cars, in <paramref name="Currency"/>.</param>
/// <param name="Low">The low end of the interval the price of a car like this usually falls in (10th percentile).</param>
/// <param name="High">Its high end (90th percentile).</param>
/// <param name="Deviation">(asking price − estimate) / estimate: −0.08 is 8 % below the market.</param>
/// <param name="Reason">"€1,900 below similar cars".</param>
public sealed record PriceEstimate(string Currency, double Estimate, double Low, double High, double AskingPrice, double Deviation, DealRating Rating,
    string Reason);

/// <summary>
/// The deal rating of an asking price against the estimate, and the words that explain it. A price at a boundary takes
/// the level further from fair.
/// </summary>
public static class DealRatings
{
    // Symmetric bands of the deviation from the estimate, as CarGurus-like marketplaces draw them. ±5 % is "fair": about
    // the model's typical error (the median APE of a good model on a real catalogue is 5–10 %), so a fair price is one we
    // cannot tell from the market. 5–10 % off is "good" / "high"; 10 % or more is "great" / "overpriced", a gap larger than
    // most of the model's errors. The cross-validated interval is reported beside the rating and does not move these
    // bands: the same deviation means the same rating on every listing, which a buyer comparing two cars can follow.
    public const double GreatAtOrBelow = -0.10;
    public const double GoodAtOrBelow = -0.05;
    public const double HighAtOrAbove = 0.05;
    public const double OverpricedAtOrAbove = 0.10;

    public static DealRating Rate(double deviation) => deviation switch
    {
        <= GreatAtOrBelow => DealRating.Great,
        <= GoodAtOrBelow => DealRating.Good,
        < HighAtOrAbove => DealRating.Fair,
        < OverpricedAtOrAbove => DealRating.High,
        _ => DealRating.Overpriced,
    };

    /// <summary>The rating as the API and the database spell it: "great", "good", "fair", "high", "overpriced".</summary>
    public static string Name(DealRating rating) => rating switch
    {
        DealRating.Great => "great",
        DealRating.Good => "good",
        DealRating.Fair => "fair",
        DealRating.High => "high",
        _ => "overpriced",
    };

    /// <summary>
    /// The largest deviation that still earns <paramref name="rating"/> or better: a <c>deal=</c> filter keeps listings
    /// whose deviation is at most this. Overpriced has no bound (every rating is it or better).
    /// </summary>
    public static double AtOrBelow(DealRating rating) => rating switch
    {
        DealRating.Great => GreatAtOrBelow,
        DealRating.Good => GoodAtOrBelow,
        DealRating.Fair => Math.BitDecrement(HighAtOrAbove),
        DealRating.High => Math.BitDecrement(OverpricedAtOrAbove),
        _ => double.PositiveInfinity,
    };

    /// <summary>(asking price − estimate) / estimate.</summary>
    public static double Deviation(double askingPrice, double estimate) => (askingPrice - estimate) / estimate;

    /// <summary>"€1,900 below similar cars", "£250 above similar cars", "priced like similar cars" (whole units, invariant culture).</summary>
    public static string Reason(double askingPrice, double estimate, string currency)
    {
        var difference = Math.Round(askingPrice - estimate, MidpointRounding.AwayFromZero);
        if (difference == 0) return "priced like similar cars";
        return $"{Money(Math.Abs(difference), currency)} {(difference < 0 ? "below" : "above")} similar cars";
    }

    /// <summary>"€1,900", "£12,500", "$800"; a currency without a common symbol by its code: "CHF 1,900".</summary>
    public static string Money(double amount, string currency)
    {
        var number = amount.ToString("N0", CultureInfo.InvariantCulture);
        return currency.ToUpperInvariant() switch
        {
            "EUR" => "€" + number,
            "GBP" => "£" + number,
            "USD" => "$" + number,
            var code => code + " " + number,
        };
    }
}
