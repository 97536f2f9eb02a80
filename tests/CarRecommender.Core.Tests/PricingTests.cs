using CarRecommender.Core.Domain;
using CarRecommender.Core.Pricing;
using Xunit.Abstractions;

namespace CarRecommender.Core.Tests;

/// <summary>The market price model: it learns what the group median cannot, keeps markets apart, and survives a save.</summary>
public sealed class PricingTests(ITestOutputHelper output)
{
    private static readonly DateTimeOffset Now = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly PriceModelSettings Settings = new() { Folds = 5, Iterations = 100 };

    private static readonly (string Make, string Model, double NewPrice, int MinKw, int MaxKw)[] Models =
    [
        ("Volkswagen", "Golf", 30_000, 81, 180), ("Volkswagen", "Polo", 21_000, 59, 110), ("BMW", "3 Series", 45_000, 115, 275),
        ("BMW", "X1", 42_000, 100, 170), ("Ford", "Fiesta", 19_000, 55, 103), ("Ford", "Kuga", 33_000, 88, 165),
        ("Toyota", "Yaris", 20_000, 53, 96), ("Skoda", "Octavia", 29_000, 85, 180),
    ];

    /// <summary>
    /// Listings whose price is set by the model, the year, and strongly by mileage (−50 % per 100,000 km, e^−0.7) and power
    /// (price ∝ power^0.9 within a model's range), with 5 % noise: the same make, model and year span a wide range of prices.
    /// </summary>
    private static List<PriceRow> Planted(int count, int seed, string currency = "EUR", double priceScale = 1)
    {
        var rng = new Random(seed);
        var features = new PriceFeatures();
        var rows = new List<PriceRow>(count);
        for (var i = 0; i < count; i++)
        {
            var (make, model, newPrice, minKw, maxKw) = Models[rng.Next(Models.Length)];
            var age = rng.Next(0, 12);
            var km = (int)((age + rng.NextDouble()) * rng.Next(3_000, 30_000));
            var kw = rng.Next(minKw, maxKw + 1);
            var price = priceScale * newPrice * Math.Pow(0.88, age) * Math.Exp(-0.7 * km / 100_000.0) * Math.Pow((double)kw / minKw, 0.9)
                * Math.Exp(0.05 * (rng.NextDouble() * 2 - 1));
            rows.Add(features.Row(Listing(make, model, 2026 - age, km, kw, (int)Math.Round(price), currency)));
        }
        return rows;
    }

    private static Listing Listing(string make, string model, int year, int km, int? kw, int price, string currency = "EUR") => new()
    {
        Make = make,
        Model = model,
        Year = year,
        MileageKm = km,
        PowerKw = kw,
        AskingPrice = price,
        Price = price,
        Currency = currency,
        Colour = "grey",
        Fuel = FuelType.Petrol,
        Transmission = Transmission.Manual,
        BodyType = BodyType.Hatchback,
    };

    [Fact]
    public void Model_beats_the_median_of_similar_cars_by_a_third_where_mileage_and_power_set_the_price()
    {
        var cv = PriceCrossValidation.Run(Planted(2_000, seed: 1), Settings);

        output.WriteLine($"model {cv.Model}; baseline {cv.Baseline}");
        Assert.Equal(2_000, cv.Model.Rows);
        Assert.Equal(2_000, cv.Baseline.Rows);
        Assert.True(cv.Model.MedianAbsolutePercentageError <= 0.7 * cv.Baseline.MedianAbsolutePercentageError,
            $"model median APE {cv.Model.MedianAbsolutePercentageError:P1}, baseline {cv.Baseline.MedianAbsolutePercentageError:P1}");
        Assert.True(cv.Model.MeanAbsoluteError < cv.Baseline.MeanAbsoluteError);
        Assert.True(cv.Model.MeanAbsolutePercentageError < cv.Baseline.MeanAbsolutePercentageError);
        Assert.True(cv.LogResidualLow < 0 && cv.LogResidualHigh > 0, $"residual interval {cv.LogResidualLow:0.000} … {cv.LogResidualHigh:0.000}");
    }

    [Fact]
    public void A_car_priced_well_below_its_market_is_a_great_deal_and_says_by_how_much()
    {
        var model = MarketPricing.Train(Planted(1_500, seed: 2), Settings with { Folds = 2 }, Now).Models.Single();
        var golf = Listing("Volkswagen", "Golf", 2021, 60_000, 110, price: 1);
        var market = model.Estimate(golf).Estimate;
        golf.AskingPrice = (int)Math.Round(market * 0.8);

        var estimate = model.Estimate(golf);

        Assert.Equal(DealRating.Great, estimate.Rating);
        Assert.Equal(-0.2, estimate.Deviation, 2);
        Assert.EndsWith(" below similar cars", estimate.Reason, StringComparison.Ordinal);
        Assert.StartsWith("€", estimate.Reason, StringComparison.Ordinal);
        Assert.True(estimate.Low < estimate.Estimate && estimate.Estimate < estimate.High, $"{estimate.Low} … {estimate.Estimate} … {estimate.High}");
        // a more powerful, less driven car of the same model and year is worth more: the model learned what the median cannot
        var stronger = model.Estimate(Listing("Volkswagen", "Golf", 2021, 20_000, 170, price: 1)).Estimate;
        Assert.True(stronger > market * 1.3, $"{stronger:N0} vs {market:N0}");
    }

    [Fact]
    public void Each_currency_is_a_market_of_its_own_trained_only_on_its_rows()
    {
        // the same cars, priced three times as high in the second market, and a third market too small to learn
        var euros = Planted(1_000, seed: 3);
        var pounds = Planted(600, seed: 4, currency: "GBP", priceScale: 3);
        var francs = Planted(20, seed: 5, currency: "CHF");

        var markets = MarketPricing.Train([.. euros, .. pounds, .. francs], Settings with { Folds = 2 }, Now);

        Assert.Equal(["EUR", "GBP"], markets.Models.Select(m => m.Market));
        Assert.Equal([1_000, 600], markets.Models.Select(m => m.Info.Rows));
        Assert.Equal(20, markets.TooSmall["CHF"]);
        var (eur, gbp) = (markets.Models[0], markets.Models[1]);
        Assert.All(markets.Models, m => Assert.Equal(m.Info.Rows, m.Info.Validation!.Model.Rows));
        // the same seed plants the same cars in either currency
        var (probe, probeInPounds) = (Planted(200, seed: 6), Planted(200, seed: 6, currency: "GBP"));
        var ratios = gbp.Estimate(probeInPounds).Zip(eur.Estimate(probe), (g, e) => g / e).Order().ToArray();
        // mixed, the two would meet in between; apart, each keeps its own price level
        output.WriteLine($"median GBP / EUR estimate {ratios[ratios.Length / 2]:0.000}");
        Assert.InRange(ratios[ratios.Length / 2], 2.7, 3.3);
        Assert.Throws<ArgumentException>(() => eur.Estimate(probeInPounds[0]));
    }

    [Fact]
    public void A_saved_model_loads_with_the_same_estimates_and_metadata()
    {
        var model = MarketPricing.Train(Planted(600, seed: 7), Settings with { Folds = 2, Iterations = 40 }, Now).Models.Single();
        var probe = Planted(100, seed: 8);

        var loaded = MarketPriceModel.Load(model.Save());

        Assert.Equal(model.Estimate(probe), loaded.Estimate(probe));
        Assert.Equal(model.Estimate(probe[0]), loaded.Estimate(probe[0]));
        Assert.Equal(model.Info, loaded.Info);
        Assert.Equal(Now, loaded.Info.TrainedAt);
        Assert.Equal(PriceModelInfo.CurrentFormat, loaded.Info.Format);
    }

    [Fact]
    public void Baseline_falls_back_from_the_year_to_the_model_to_the_make_to_the_market()
    {
        var features = new PriceFeatures();
        var rows = new[]
        {
            Listing("Ford", "Fiesta", 2020, 10_000, null, 10_000), Listing("Ford", "Fiesta", 2020, 10_000, null, 12_000),
            Listing("Ford", "Fiesta", 2018, 10_000, null, 7_000), Listing("Ford", "Kuga", 2018, 10_000, null, 20_000),
            Listing("BMW", "X1", 2018, 10_000, null, 30_000),
        }.Select(features.Row).ToList();
        var baseline = GroupMedianBaseline.Fit(rows);

        Assert.Equal(11_000, baseline.Estimate(features.Row(Listing("Ford", "Fiesta", 2020, 0, null, 1))));
        Assert.Equal(10_000, baseline.Estimate(features.Row(Listing("Ford", "Fiesta", 2015, 0, null, 1))));
        Assert.Equal(11_000, baseline.Estimate(features.Row(Listing("Ford", "Puma", 2020, 0, null, 1))));
        Assert.Equal(12_000, baseline.Estimate(features.Row(Listing("Audi", "A3", 2020, 0, null, 1))));
    }
}
