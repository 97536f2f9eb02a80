using CarRecommender.Core.Domain;
using CarRecommender.Core.Features;
using CarRecommender.Core.Seeding;

namespace CarRecommender.Core.Tests;

public sealed class ContentEncoderTests
{
    private static float[] Encode(string make, int year, int price, BodyType body, FuelType fuel) =>
        ContentEncoder.Encode(make, year, price, 60_000, 110, body, fuel, Transmission.Manual, SellerType.Dealer, 52.5, 13.4);

    private static double Cosine(float[] a, float[] b) =>
        a.Zip(b).Sum(p => (double)p.First * p.Second) / Math.Sqrt(a.Sum(x => (double)x * x) * b.Sum(x => (double)x * x));

    [Fact]
    public void Layout_documents_every_dimension_once()
    {
        Assert.Equal(ContentEncoder.Dimensions, ContentEncoder.Layout.Count);
        Assert.Equal(Enumerable.Range(0, ContentEncoder.Dimensions), ContentEncoder.Layout.Select(d => d.Index));
    }

    [Fact]
    public void Same_body_and_fuel_are_closer_than_a_different_body()
    {
        var golfEstate = Encode("Volkswagen", 2019, 18_000, BodyType.Estate, FuelType.Diesel);
        var octaviaEstate = Encode("Skoda", 2018, 17_000, BodyType.Estate, FuelType.Diesel);
        var porscheCoupe = Encode("Porsche", 2019, 110_000, BodyType.Coupe, FuelType.Petrol);
        Assert.True(Cosine(golfEstate, octaviaEstate) > 0.9);
        Assert.True(Cosine(golfEstate, octaviaEstate) > Cosine(golfEstate, porscheCoupe) + 0.3);
    }

    [Fact]
    public void Price_dimension_rises_with_price_and_stays_in_range()
    {
        var cheap = Encode("Dacia", 2015, 3_000, BodyType.Hatchback, FuelType.Petrol);
        var dear = Encode("Dacia", 2015, 300_000, BodyType.Hatchback, FuelType.Petrol);
        Assert.True(cheap[0] < 0 && dear[0] > 0);
        Assert.All(dear, x => Assert.InRange(x, -1.5f, 1.5f));
    }

    [Fact]
    public void Generator_is_deterministic_for_a_seed_and_prices_fall_with_age()
    {
        var asOf = new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
        var a = new CatalogueGenerator(7, asOf).Listings(2_000).ToList();
        var b = new CatalogueGenerator(7, asOf).Listings(2_000).ToList();
        Assert.Equal(a.Select(l => (l.Make, l.Model, l.Price, l.MileageKm)), b.Select(l => (l.Make, l.Model, l.Price, l.MileageKm)));
        Assert.All(a, l => Assert.Contains(l.BodyType, CarCatalogue.FindMake(l.Make)!.Models.Single(m => m.Name == l.Model).Bodies));
        var young = a.Where(l => l.Year >= 2023).Average(l => l.Price);
        var old = a.Where(l => l.Year <= 2014).Average(l => l.Price);
        Assert.True(young > 2 * old, $"young {young:F0} vs old {old:F0}");
        var users = new CatalogueGenerator(7, asOf).Users(10).ToList();
        Assert.Equal(CatalogueGenerator.DemoUserEmail, users[0].Email);
        Assert.Equal(UserRole.Admin, users[1].Role);
        Assert.Equal(10, users.Count);
        Assert.Equal(10, users.Select(u => u.Email).Distinct().Count());
    }

    [Fact]
    public void Steering_moves_a_saloon_taste_to_suvs_for_an_suv_filter_and_keeps_the_rest()
    {
        var saloon = Encode("Volkswagen", 2019, 25_000, BodyType.Sedan, FuelType.Diesel);
        var steered = ContentEncoder.Steer(saloon, new Search.ListingFilter { BodyTypes = [BodyType.Suv] });

        var body = ContentEncoder.Layout.Where(d => d.Group == "body").ToList();
        Assert.Equal(0f, steered[body.Single(d => d.Label == "Sedan").Index]);
        Assert.Equal(saloon[body.Single(d => d.Label == "Sedan").Index], steered[body.Single(d => d.Label == "Suv").Index]);
        // everything outside the body block is the taste's own
        Assert.All(ContentEncoder.Layout.Where(d => d.Group != "body"), d => Assert.Equal(saloon[d.Index], steered[d.Index]));
        // and an SUV like the saloon (same price, year, fuel) is now nearer than a saloon
        var suv = Encode("Volkswagen", 2019, 25_000, BodyType.Suv, FuelType.Diesel);
        Assert.True(Cosine(steered, suv) > Cosine(steered, saloon));
        Assert.True(Cosine(saloon, suv) < Cosine(saloon, saloon));
    }

    [Fact]
    public void Steering_keeps_the_taste_share_among_allowed_values_and_clamps_numeric_bounds()
    {
        // a taste split 3:1 between diesel and petrol estates, expensive
        var diesel = Encode("Audi", 2021, 60_000, BodyType.Estate, FuelType.Diesel);
        var petrol = Encode("Audi", 2021, 60_000, BodyType.Estate, FuelType.Petrol);
        var taste = diesel.Zip(petrol, (d, p) => 0.75f * d + 0.25f * p).ToArray();
        var fuel = ContentEncoder.Layout.Where(d => d.Group == "fuel").ToDictionary(d => d.Label, d => d.Index);

        var steered = ContentEncoder.Steer(taste, new Search.ListingFilter { Fuels = [FuelType.Petrol, FuelType.Electric], MaxPrice = 20_000 });

        // petrol had all the allowed share, so it gets the whole block weight; diesel is gone; electric stays 0
        Assert.Equal(taste[fuel["Diesel"]] + taste[fuel["Petrol"]], steered[fuel["Petrol"]], 5);
        Assert.Equal(0f, steered[fuel["Diesel"]]);
        Assert.Equal(0f, steered[fuel["Electric"]]);
        // the price dimension is clamped to what €20,000 encodes to
        var cheap = Encode("Audi", 2021, 20_000, BodyType.Estate, FuelType.Diesel);
        Assert.True(taste[0] > cheap[0]);
        Assert.Equal(cheap[0], steered[0], 5);
        // no filter, no change
        Assert.Equal(taste, ContentEncoder.Steer(taste, new Search.ListingFilter()));
    }

    [Fact]
    public void Steering_a_taste_without_any_weight_in_a_block_uses_the_block_weight_like_a_listing()
    {
        var taste = new float[ContentEncoder.Dimensions];
        var steered = ContentEncoder.Steer(taste, new Search.ListingFilter { BodyTypes = [BodyType.Coupe] });
        var coupe = Encode("BMW", 2020, 40_000, BodyType.Coupe, FuelType.Petrol);
        var index = ContentEncoder.Layout.Single(d => d.Group == "body" && d.Label == "Coupe").Index;
        Assert.Equal(coupe[index], steered[index]);
    }
}
