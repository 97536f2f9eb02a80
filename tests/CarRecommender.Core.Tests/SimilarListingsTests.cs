using CarRecommender.Core.Domain;
using CarRecommender.Core.Learning;
using CarRecommender.Core.Recommendation;

namespace CarRecommender.Core.Tests;

public class SimilarListingsTests
{
    private static readonly SimilarCar Golf = new(1, "Volkswagen", "Golf", 20_000, BodyType.Hatchback, FuelType.Petrol);

    private static SimilarCandidate C(long id, string make, string model, double cosine, int price = 20_000,
        BodyType body = BodyType.Hatchback, FuelType fuel = FuelType.Petrol) => new(new SimilarCar(id, make, model, price, body, fuel), cosine);

    private static readonly CarModelLink[] Links = [new("Skoda Octavia", 8f), new("Seat Leon", 4f)];

    [Fact]
    public void Without_trained_links_the_score_is_the_cosine_and_every_item_is_content()
    {
        var picks = SimilarListings.Blend(Golf, [C(2, "Ford", "Focus", 0.9), C(3, "Opel", "Astra", 0.95)], [], [], 10);
        Assert.Equal([3L, 2L], picks.Select(p => p.Car.ListingId));
        Assert.Equal([0.95, 0.9], picks.Select(p => p.Score));
        Assert.All(picks, p => Assert.Equal(SimilarSource.Content, p.Source));
    }

    [Fact]
    public void The_score_blends_cosine_with_the_link_strength_normalised_by_the_strongest_link()
    {
        var picks = SimilarListings.Blend(Golf, [C(2, "Ford", "Focus", 0.9)], [C(3, "Skoda", "Octavia", 0.5), C(4, "Seat", "Leon", 0.8)], Links, 10, 0.6);
        var score = picks.ToDictionary(p => p.Car.ListingId, p => p.Score);
        Assert.Equal(0.6 * 0.9, score[2], 10);
        Assert.Equal(0.6 * 0.5 + 0.4 * 1.0, score[3], 10);
        Assert.Equal(0.6 * 0.8 + 0.4 * 0.5, score[4], 10);
        Assert.Equal([3L, 4L, 2L], picks.Select(p => p.Car.ListingId)); // 0.70, 0.68, 0.54
        Assert.Equal(0.5, picks.Single(p => p.Car.ListingId == 3).Cosine);
    }

    [Fact]
    public void A_car_only_the_link_found_is_also_viewed_and_its_reason_names_both_models()
    {
        var pick = SimilarListings.Blend(Golf, [], [C(3, "Skoda", "Octavia", 0.9)], Links, 10).Single();
        Assert.Equal(SimilarSource.AlsoViewed, pick.Source);
        Assert.Equal("also-viewed", pick.SourceName);
        Assert.Equal("People who viewed the Volkswagen Golf also viewed the Skoda Octavia", pick.Reason);
    }

    [Fact]
    public void A_content_neighbour_is_also_viewed_only_when_its_link_outweighs_its_likeness()
    {
        var picks = SimilarListings.Blend(Golf, [C(3, "Skoda", "Octavia", 0.9), C(4, "Skoda", "Octavia", 0.2), C(5, "Seat", "Leon", 0.5)], [], Links, 10, 0.6)
            .ToDictionary(p => p.Car.ListingId);
        Assert.Equal(SimilarSource.Content, picks[3].Source);    // likeness 0.54 against link 0.4
        Assert.Equal(SimilarSource.AlsoViewed, picks[4].Source); // 0.12 against 0.4
        Assert.Equal(SimilarSource.Content, picks[5].Source);    // 0.3 against 0.2 (half the strongest link)
    }

    [Fact]
    public void The_listing_itself_never_appears_and_a_car_found_twice_appears_once()
    {
        var picks = SimilarListings.Blend(Golf, [C(1, "Volkswagen", "Golf", 1.0), C(3, "Skoda", "Octavia", 0.9)], [C(3, "Skoda", "Octavia", 0.9)], Links, 10);
        Assert.Equal([3L], picks.Select(p => p.Car.ListingId));
    }

    [Fact]
    public void The_list_is_cut_at_the_limit_best_first_with_ties_to_the_lower_id()
    {
        var picks = SimilarListings.Blend(Golf, [C(9, "Ford", "Focus", 0.7), C(8, "Ford", "Focus", 0.7), C(7, "Opel", "Astra", 0.9)], [], [], 2);
        Assert.Equal([7L, 8L], picks.Select(p => p.Car.ListingId));
    }

    [Theory]
    [InlineData(21_000, BodyType.Hatchback, FuelType.Petrol, "Similar price, body and fuel to this Golf")]
    [InlineData(21_000, BodyType.Suv, FuelType.Petrol, "Similar price and fuel to this Golf")]
    [InlineData(40_000, BodyType.Hatchback, FuelType.Diesel, "Similar body to this Golf")]
    [InlineData(40_000, BodyType.Suv, FuelType.Diesel, "Similar to this Golf")]
    public void A_content_reason_says_what_the_car_shares_with_the_listing(int price, BodyType body, FuelType fuel, string reason) =>
        Assert.Equal(reason, SimilarListings.Reason(Golf, new SimilarCar(2, "Ford", "Focus", price, body, fuel), SimilarSource.Content));

    [Fact]
    public void Unknown_body_or_fuel_is_never_called_similar()
    {
        var unknown = Golf with { BodyType = BodyType.Unknown, Fuel = FuelType.Unknown };
        var car = new SimilarCar(2, "Ford", "Focus", 50_000, BodyType.Unknown, FuelType.Unknown);
        Assert.Equal("Similar to this Golf", SimilarListings.Reason(unknown, car, SimilarSource.Content));
    }
}
