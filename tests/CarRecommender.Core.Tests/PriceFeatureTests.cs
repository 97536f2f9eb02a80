using CarRecommender.Core.Import;
using CarRecommender.Core.Pricing;
using Xunit.Abstractions;

namespace CarRecommender.Core.Tests;

/// <summary>What the price model reads from real-shaped exports: engine size, power in any unit, region, and a market each.</summary>
public sealed class PriceFeatureTests(ITestOutputHelper output)
{
    private static readonly DateTimeOffset Now = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);

    private static List<PriceRow> Read(string csv, string currency = "EUR")
    {
        var options = new ImportOptions { Currency = currency };
        var reader = new ListingCsvReader(Now, options);
        reader.Survey(new StringReader(csv));
        var features = new PriceFeatures();
        var rows = reader.Read(new StringReader(csv)).Select(features.Row).ToList();
        Assert.Equal(0, reader.Rejected);
        return rows;
    }

    private static string Fixture(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", name));

    [Fact]
    public void Uk_dealer_export_gives_litres_bhp_postcode_areas_and_pounds()
    {
        var rows = Read(Fixture("uk-dealer-export.csv"), "GBP");

        Assert.Equal(14, rows.Count);
        var fiesta = rows[0];
        Assert.Equal("Ford Fiesta", fiesta.CarModel);
        Assert.Equal(2019, fiesta.Year);
        Assert.Equal(10_495, fiesta.Price);
        Assert.Equal(MathF.Log(10_495), fiesta.Label, 5);
        Assert.Equal("GBP", fiesta.Currency);
        Assert.Equal(24_310 * 1.609344, fiesta.MileageKm, 0);
        Assert.Equal(1.0f, fiesta.EngineLitres);
        Assert.Equal(73, fiesta.PowerKw); // 99 bhp
        Assert.Equal("LS", fiesta.Region);
        Assert.Equal("Petrol", fiesta.Fuel);
        Assert.Equal(["LS", "M", "SW", "BS", "E"], rows.Take(5).Select(r => r.Region));
        Assert.True(float.IsNaN(rows.Single(r => r.Make == "Nissan").EngineLitres), "an empty engine size stays unknown");
        Assert.True(float.IsNaN(rows.Single(r => r.Make == "Land Rover").PowerKw), "an empty BHP stays unknown");
    }

    [Fact]
    public void German_marketplace_export_gives_kw_from_both_units_and_plz_regions()
    {
        var rows = Read(Fixture("de-marketplace-export.csv"));

        Assert.Equal(12, rows.Count);
        var golf = rows[0];
        Assert.Equal(2019, golf.Year); // "03/2019"
        Assert.Equal(45_000, golf.MileageKm);
        Assert.Equal(18_990, golf.Price);
        Assert.Equal("EUR", golf.Currency);
        Assert.Equal(110, golf.PowerKw); // "110 kW (150 PS)": the kW figure, not 110150
        Assert.Equal("80", golf.Region);
        Assert.Equal("Automatic", rows[1].Transmission);
        Assert.Equal("Estate", rows[1].Body);
        Assert.Equal("04", rows[2].Region); // PLZ 04109 lost its leading zero as a number on the way in
        Assert.True(float.IsNaN(rows.Single(r => r.Make == "Dacia").PowerKw));
        Assert.All(rows, r => Assert.True(float.IsNaN(r.EngineLitres)));
    }

    [Theory]
    [InlineData("SW1A 1AA", "SW")]
    [InlineData("M1 1AE", "M")]
    [InlineData("eh12 9jb", "EH")]
    [InlineData("10115", "10")]
    [InlineData("London", null)]
    [InlineData("Frankfurt am Main", null)]
    [InlineData("42", null)]
    public void Postcode_area_is_the_uk_letters_or_the_first_two_digits(string text, string? area) =>
        Assert.Equal(area, PriceFeatures.PostcodeArea(text));

    [Theory]
    [InlineData("uk", "GBP")]
    [InlineData("de", "EUR")]
    public void On_realistic_exports_the_model_beats_the_median_of_similar_cars(string export, string currency)
    {
        var csv = export == "uk" ? ExportFixtures.UkDealer(2_000) : ExportFixtures.GermanMarketplace(2_000);
        var rows = Read(csv, currency);

        var cv = PriceCrossValidation.Run(rows, new PriceModelSettings { Folds = 3, Iterations = 100 });

        output.WriteLine($"model {cv.Model}; baseline {cv.Baseline}");
        Assert.All(rows, r => Assert.Equal(currency, r.Currency));
        Assert.True(cv.Model.MedianAbsolutePercentageError <= 0.7 * cv.Baseline.MedianAbsolutePercentageError,
            $"model median APE {cv.Model.MedianAbsolutePercentageError:P1}, baseline {cv.Baseline.MedianAbsolutePercentageError:P1}");
    }
}
