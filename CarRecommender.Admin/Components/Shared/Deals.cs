using MudBlazor;

namespace CarRecommender.Admin.Components.Shared;

/// <summary>How the console draws a deal rating: great and good in greens, fair plain, high and overpriced in warning colours.</summary>
public static class Deals
{
    public static readonly string[] Ratings = ["great", "good", "fair", "high", "overpriced"];

    public static Color Colour(string rating) => rating switch
    {
        "great" => Color.Success,
        "good" => Color.Info,
        "high" => Color.Warning,
        "overpriced" => Color.Error,
        _ => Color.Default,
    };

    public static string Label(string rating) => rating switch
    {
        "great" => "Great deal",
        "good" => "Good deal",
        "fair" => "Fair price",
        "high" => "High price",
        _ => "Overpriced",
    };

    /// <summary>"CHF 24,500", "€18,900" (whole units).</summary>
    public static string Money(double amount, string currency) => Core.Pricing.DealRatings.Money(Math.Round(amount), currency);
}
