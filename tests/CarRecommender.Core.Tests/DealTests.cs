using CarRecommender.Core.Domain;
using CarRecommender.Core.Pricing;
using CarRecommender.Core.Recommendation;
using CarRecommender.Core.Recommendation.Ranking;
using CarRecommender.Core.Search;

namespace CarRecommender.Core.Tests;

/// <summary>Deal ratings in the product: the deal= filter's bounds and parsing, the ranker's small bonus, and the deal note.</summary>
public sealed class DealTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(-0.10, DealRating.Great)]
    [InlineData(-0.05, DealRating.Good)]
    [InlineData(0.0499, DealRating.Fair)]
    [InlineData(0.0999, DealRating.High)]
    public void A_deal_filter_bound_is_the_largest_deviation_that_still_earns_its_rating(double deviation, DealRating rating)
    {
        Assert.Equal(rating, DealRatings.Rate(DealRatings.AtOrBelow(rating)));
        Assert.True(DealRatings.Rate(Math.BitIncrement(DealRatings.AtOrBelow(rating))) > rating);
        Assert.True(deviation <= DealRatings.AtOrBelow(rating));
    }

    [Fact]
    public void Deal_parses_great_good_and_fair_in_any_case_and_names_the_field_otherwise()
    {
        Assert.True(ListingQueryParser.TryParse(new ListingQuery { Deal = "Good" }, out var filter, out _));
        Assert.Equal(DealRating.Good, filter.Deal);
        Assert.True(filter.HasFilters);
        foreach (var bad in new[] { "overpriced", "cheap", "1" })
        {
            Assert.False(ListingQueryParser.TryParse(new ListingQuery { Deal = bad }, out _, out var errors));
            Assert.Contains("great, good, fair", Assert.Single(errors["deal"]), StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(20_000, 20_000, true)]   // a market without a model (every listing is newer than none)
    [InlineData(99, 99, false)]          // too small to learn from
    [InlineData(20_000, 2_000, true)]    // an import added 10 % since the model
    [InlineData(20_000, 1_999, false)]   // less than 10 %: the listing-change consumer estimates them with the model as it is
    [InlineData(20_000, 0, false)]
    public void A_market_is_retrained_when_it_has_no_model_or_a_tenth_of_its_listings_are_newer_than_it(int total, int newer, bool due) =>
        Assert.Equal(due, MarketPricing.Due(total, newer, 0.1));

    [Fact]
    public void Ratings_are_spelled_in_lower_case()
    {
        Assert.Equal(["great", "good", "fair", "high", "overpriced"], Enum.GetValues<DealRating>().Select(DealRatings.Name));
    }

    [Theory]
    [InlineData(null, 0)]
    [InlineData(0.15, 0)]
    [InlineData(-0.10, 0.01)]
    [InlineData(-0.20, 0.02)]
    [InlineData(-0.50, 0.02)]
    public void The_deal_bonus_grows_with_the_discount_up_to_twenty_percent(double? deviation, double bonus) =>
        Assert.Equal(bonus, new RankingOptions(DealWeight: 0.02).DealBonus(deviation), 10);

    [Fact]
    public void The_blend_gives_no_deal_bonus_unless_an_operator_sets_one() =>
        Assert.Equal(0, new RankingOptions().DealBonus(-0.5));

    [Fact]
    public void Of_two_equally_liked_cars_the_one_under_its_market_price_ranks_first()
    {
        float[] taste = [1, 0, 0];
        var fair = Car(1, deviation: 0.02);
        var bargain = Car(2, deviation: -0.15);
        var ranked = new BlendRanker(new RankingOptions(DealWeight: 0.02)).Score(new UserTaste(taste, null, 5, []), [fair, bargain], Now);
        Assert.Equal(2, ranked[0].Candidate.ListingId);
        Assert.Equal(0.015, ranked[0].Score - ranked[1].Score, 6);
    }

    [Fact]
    public void A_great_or_good_deal_gets_a_note_with_the_gap_in_its_currency_and_other_cars_none()
    {
        Assert.Equal("Great deal: CHF 1,900 below similar cars", Explanations.Deal(Car(1, -0.19, 10_000, "CHF")));
        Assert.Equal("Good deal: €1,500 below similar cars", Explanations.Deal(Car(1, -0.06, 25_000, "EUR")));
        Assert.Null(Explanations.Deal(Car(1, 0.0, 25_000, "EUR")));
        Assert.Null(Explanations.Deal(Car(1, null, null, "EUR")));
    }

    [Fact]
    public void The_engine_notes_a_great_deal_in_its_explanation()
    {
        var engine = RecommendationEngine.Create(new Recommendation.Taste.InMemoryTastes(_ => null), new StaticRetrieval([]));
        var user = new UserContext(new UserTaste([1, 0, 0], null, 5, []), null, null, null);
        var list = engine.Rank(user, [Car(1, -0.19, 10_000, "EUR"), Car(2, 0.0, 10_000, "EUR")], new HashSet<long>(), 2, Now);
        Assert.Contains("Great deal: €1,900 below similar cars", list.Single(r => r.ListingId == 1).Notes);
        Assert.DoesNotContain(list.Single(r => r.ListingId == 2).Notes, n => n.Contains("deal", StringComparison.Ordinal));
    }

    private static Candidate Car(long id, double? deviation, double? estimate = 20_000, string currency = "EUR") =>
        new(id, "Volkswagen", "Golf", 2020, 20_000, BodyType.Hatchback, [1, 0, 0], null, 0, null)
        {
            MarketEstimate = deviation is null ? null : estimate,
            MarketDeviation = deviation,
            Currency = currency,
        };

    private sealed class StaticRetrieval(IReadOnlyList<Candidate> candidates) : IRetrieval
    {
        public ValueTask<IReadOnlyList<Candidate>> RetrieveAsync(UserContext user, RecommendationRequest request, CandidateQuery query, CancellationToken ct) =>
            ValueTask.FromResult(candidates);
    }
}
