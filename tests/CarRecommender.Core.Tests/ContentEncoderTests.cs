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
}
