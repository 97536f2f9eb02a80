using System.Globalization;
using CarRecommender.Core.Pricing;

namespace CarRecommender.Core.Tests;

/// <summary>Deal ratings: the bands around the market estimate, boundaries included, and the words that explain them.</summary>
public sealed class DealRatingTests
{
    [Theory]
    [InlineData(8_000, DealRating.Great)]
    [InlineData(9_000, DealRating.Great)] // −10 %: a boundary takes the level further from fair
    [InlineData(9_001, DealRating.Good)]
    [InlineData(9_500, DealRating.Good)] // −5 %
    [InlineData(9_501, DealRating.Fair)]
    [InlineData(10_000, DealRating.Fair)]
    [InlineData(10_499, DealRating.Fair)]
    [InlineData(10_500, DealRating.High)] // +5 %
    [InlineData(10_999, DealRating.High)]
    [InlineData(11_000, DealRating.Overpriced)] // +10 %
    [InlineData(15_000, DealRating.Overpriced)]
    public void Prices_around_a_10000_estimate_get_their_band(double price, DealRating rating) =>
        Assert.Equal(rating, DealRatings.Rate(DealRatings.Deviation(price, 10_000)));

    [Theory]
    [InlineData(8_100, 10_000, "EUR", "€1,900 below similar cars")]
    [InlineData(12_500, 10_000, "GBP", "£2,500 above similar cars")]
    [InlineData(31_000.4, 30_000, "USD", "$1,000 above similar cars")]
    [InlineData(8_100, 10_000, "CHF", "CHF 1,900 below similar cars")]
    [InlineData(1_250_000, 1_000_000, "EUR", "€250,000 above similar cars")]
    [InlineData(10_000.2, 10_000, "EUR", "priced like similar cars")]
    public void Reason_says_how_far_and_which_way_in_the_market_currency(double price, double estimate, string currency, string reason) =>
        Assert.Equal(reason, DealRatings.Reason(price, estimate, currency));

    [Fact]
    public void Reason_is_written_the_same_whatever_the_culture()
    {
        var culture = CultureInfo.CurrentCulture;
        try
        {
            CultureInfo.CurrentCulture = CultureInfo.GetCultureInfo("de-DE");
            Assert.Equal("€1,900 below similar cars", DealRatings.Reason(8_100, 10_000, "EUR"));
        }
        finally
        {
            CultureInfo.CurrentCulture = culture;
        }
    }
}
