using CarRecommender.Core.Domain;
using CarRecommender.Core.Features;
using CarRecommender.Core.Import;

namespace CarRecommender.Core.Tests;

/// <summary>The importer's pure parts: the reference, multilingual categories, the mileage-unit decision, unknowns.</summary>
public sealed class ImportReaderTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("Ford", " Fiesta", BodyType.Hatchback)]
    [InlineData("vw", "Golf Variant 2.0 TDI Highline", BodyType.Estate)]
    [InlineData("Volkswagen", "Golf GTI", BodyType.Hatchback)]
    [InlineData("Mercedes-Benz", " C Class", BodyType.Sedan)]
    [InlineData("MERCEDES", "E 220 d", BodyType.Sedan)]
    [InlineData("Vauxhall", " Mokka X", BodyType.Suv)]
    [InlineData("BMW", " 3 Series", BodyType.Sedan)]
    [InlineData("Toyota", " C-HR", BodyType.Suv)]
    [InlineData("Skoda", "Octavia Combi", BodyType.Estate)]
    [InlineData("Citroen", "C4 Grand Picasso", BodyType.Minivan)]
    [InlineData("Renault", "Mégane", BodyType.Hatchback)]
    public void Reference_finds_the_body_of_models_as_exports_spell_them(string make, string model, BodyType body) =>
        Assert.Equal(body, CarReference.FindModel(make, model)?.Body);

    [Fact]
    public void Reference_covers_the_markets_makes_and_knows_no_made_up_model()
    {
        Assert.True(CarReference.ModelCount > 450, $"{CarReference.ModelCount} models");
        Assert.Equal("Volkswagen", CarReference.CanonicalMake("VW"));
        Assert.Equal("Mercedes-Benz", CarReference.CanonicalMake("mercedes benz"));
        Assert.Equal(MarketSegment.Budget, CarReference.SegmentOfMake("Dacia"));
        Assert.Null(CarReference.SegmentOfMake("Trabbi Motors"));
        Assert.Null(CarReference.FindModel("Ford", "Zoomster 3000"));
    }

    [Theory]
    [InlineData("Benzin", FuelType.Petrol)]
    [InlineData("Gasoline", FuelType.Petrol)]
    [InlineData("Essence", FuelType.Petrol)]
    [InlineData("Benzina", FuelType.Petrol)]
    [InlineData("Gazole", FuelType.Diesel)]
    [InlineData("Gasolio", FuelType.Diesel)]
    [InlineData("Electric/Gasoline", FuelType.Hybrid)]
    [InlineData("Hybrid (Benzin/Elektro)", FuelType.Hybrid)]
    [InlineData("Plug-in-Hybrid", FuelType.PluginHybrid)]
    [InlineData("Électrique", FuelType.Electric)]
    [InlineData("Elektro", FuelType.Electric)]
    [InlineData("GPL", FuelType.Lpg)]
    [InlineData("-/- (Fuel)", null)]
    [InlineData("Others", null)]
    [InlineData("Other", null)]
    public void Fuel_names_in_four_languages_map_to_our_categories(string text, FuelType? fuel) => Assert.Equal(fuel, ListingCsvReader.ParseFuel(text));

    [Fact]
    public async Task Catalogue_file_is_read_to_its_whole_length_and_says_when_it_is_latin1()
    {
        var path = Path.GetTempFileName();
        try
        {
            await File.WriteAllBytesAsync(path, System.Text.Encoding.Latin1.GetBytes("make,model,year,price,mileage_km\nCitroën,C3,2019,9500,40000\nFord,Focus,2018,8900,61000\n"));
            using var file = await CatalogueFile.OpenAsync(path, new ImportOptions(), new CurrencyRates(), Now, CancellationToken.None);

            var listings = file.Listings().ToList();

            Assert.Equal(2, listings.Count);
            Assert.Equal(file.Length, file.Position); // the reader closed the file at its end; the length is still known
            Assert.Contains("Latin-1", file.Warning, StringComparison.Ordinal);
            Assert.StartsWith("Citro", listings[0].Make, StringComparison.Ordinal);
            Assert.DoesNotContain('\uFFFD', listings[0].Make);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("110 kW (150 PS)", true, 110.0)]
    [InlineData("150 PS", true, 110.325)]
    [InlineData("148 bhp", false, 108.854)]
    [InlineData("110kW", false, 110.0)]
    [InlineData("110", true, 110.0)]
    [InlineData("150", false, 110.325)]
    [InlineData("", true, null)]
    public void Power_is_read_in_the_unit_the_text_names_else_the_column_unit(string text, bool columnInKw, double? kw)
    {
        var parsed = ListingCsvReader.ParsePowerKw(text.Length == 0 ? null : text, columnInKw);
        if (kw is null) Assert.Null(parsed);
        else Assert.Equal(kw.Value, parsed!.Value, 3);
    }

    [Theory]
    [InlineData("Kombi", BodyType.Estate)]
    [InlineData("Limousine", BodyType.Sedan)]
    [InlineData("Kleinwagen", BodyType.Hatchback)]
    [InlineData("Berline", BodyType.Sedan)]
    [InlineData("Break", BodyType.Estate)]
    [InlineData("Citadine", BodyType.Hatchback)]
    [InlineData("Monospace", BodyType.Minivan)]
    [InlineData("Van/Kleinbus", BodyType.Minivan)]
    [InlineData("Sportwagen/Coupé", BodyType.Coupe)]
    [InlineData("Cabrio/Roadster", BodyType.Convertible)]
    [InlineData("Berlina", BodyType.Sedan)]
    [InlineData("SUV/Geländewagen", BodyType.Suv)]
    [InlineData("Andere", null)]
    public void Body_names_in_four_languages_map_to_our_categories(string text, BodyType? body) => Assert.Equal(body, ListingCsvReader.ParseBody(text));

    [Theory]
    [InlineData("Automatik", Transmission.Automatic)]
    [InlineData("Schaltgetriebe", Transmission.Manual)]
    [InlineData("Manuelle", Transmission.Manual)]
    [InlineData("Automatique", Transmission.Automatic)]
    [InlineData("Semi-Auto", Transmission.Automatic)]
    [InlineData("Semi-automatic", Transmission.Automatic)]
    [InlineData("Other", null)]
    public void Gearbox_names_map_to_our_categories(string text, Transmission? transmission) =>
        Assert.Equal(transmission, ListingCsvReader.ParseTransmission(text));

    [Fact]
    public void The_mileage_unit_follows_the_mileage_per_year_of_age()
    {
        var rng = new Random(3);
        // a UK dealer stock: 7,000 miles a year; a German marketplace: 13,000 km a year (both exported in 2020)
        var miles = Enumerable.Range(0, 500).Select(_ => { var y = 2020 - rng.Next(0, 8); return (y, (2020 - y + 0.5) * 7_000 * (0.5 + rng.NextDouble())); }).ToList();
        var km = miles.Select(r => (r.y, r.Item2 / 7_000 * 13_000)).ToList();
        Assert.Equal(MileageUnit.Miles, ListingCsvReader.DecideFromData("mileage", miles, false, "EUR").Unit);
        var (unit, reason) = ListingCsvReader.DecideFromData("mileage", km, false, "EUR");
        Assert.Equal(MileageUnit.Km, unit);
        Assert.Contains("median mileage per year of age", reason, StringComparison.Ordinal);
        // 8,000 a year is either; an mpg column decides
        var grey = miles.Select(r => (r.y, r.Item2 / 7_000 * 8_000)).ToList();
        Assert.Equal(MileageUnit.Miles, ListingCsvReader.DecideFromData("mileage", grey, true, "EUR").Unit);
    }

    [Fact]
    public void A_row_without_body_fuel_gearbox_or_power_is_imported_with_them_unknown_and_encoded_without_them()
    {
        const string csv = "make,model,year,price,mileage_km\nTrabbi Motors,Zoomster,2019,9000,40000\nFord, Fiesta,2018,8000,50000\n";
        var reader = new ListingCsvReader(Now);
        var rows = reader.Read(new StringReader(csv)).ToList();
        Assert.Equal(2, rows.Count);
        var unknown = rows[0];
        Assert.Equal((BodyType.Unknown, FuelType.Unknown, Transmission.Unknown, SellerType.Unknown), (unknown.BodyType, unknown.Fuel, unknown.Transmission, unknown.SellerType));
        Assert.Null(unknown.PowerKw);
        var v = unknown.ContentVector!.ToArray();
        foreach (var group in new[] { "body", "fuel", "transmission", "seller", "segment" })
            Assert.All(ContentEncoder.Layout.Where(d => d.Group == group), d => Assert.Equal(0f, v[d.Index]));
        Assert.Equal(0f, v[ContentEncoder.Layout.Single(d => d.Label == "power").Index]);
        Assert.Equal(BodyType.Hatchback, rows[1].BodyType);
        Assert.Equal("Fiesta", rows[1].Model);
        Assert.DoesNotContain(ContentEncoder.Layout, d => d.Label == "Unknown");
        Assert.Contains(reader.Report(2).Decisions, d => d.StartsWith("body: 0 from the file, 1 inferred", StringComparison.Ordinal));
    }

    [Fact]
    public void A_car_without_a_known_place_keeps_its_location_unknown_instead_of_a_made_up_one()
    {
        const string csv = "make,model,year,price,mileage_km,city,lat,lon\n"
            + "Ford,Focus,2019,10000,30000,,,\n"            // nothing said
            + "Ford,Focus,2019,10000,31000,Llanelli,,\n"    // a town our city table does not know
            + "Ford,Focus,2019,10000,32000,Munich,,\n"      // a known city
            + "Ford,Focus,2019,10000,33000,,45.07,7.69\n";  // coordinates only
        var reader = new ListingCsvReader(Now);
        var rows = reader.Read(new StringReader(csv)).ToList();
        Assert.Equal(4, rows.Count);
        Assert.Empty(reader.Report(4).Rejections);
        Assert.Equal((null, null, null), (rows[0].City, rows[0].Latitude, rows[0].Longitude));
        Assert.Equal(("Llanelli", null, null), (rows[1].City, rows[1].Latitude, rows[1].Longitude));
        Assert.Equal(("Munich", 48.137), (rows[2].City, rows[2].Latitude));
        Assert.Equal((null, 45.07, 7.69), (rows[3].City, rows[3].Latitude, rows[3].Longitude));
        var location = ContentEncoder.Layout.Where(d => d.Group == "location").Select(d => d.Index).ToArray();
        Assert.All(location, i => Assert.Equal(0f, rows[0].ContentVector!.ToArray()[i]));
        Assert.All(location, i => Assert.Equal(0f, rows[1].ContentVector!.ToArray()[i]));
        Assert.Contains(location, i => rows[2].ContentVector!.ToArray()[i] != 0f);
        Assert.Contains("location: 2 placed (coordinates or a known city), 2 unknown", reader.Report(4).Decisions);
    }

    [Fact]
    public void Prices_keep_their_currency_and_are_compared_in_euros()
    {
        const string csv = "make,model,year,price,mileage\nFord,Focus,2019,10000,30000\n";
        var rows = new ListingCsvReader(Now, new ImportOptions { Currency = "GBP" }).Read(new StringReader(csv)).ToList();
        var focus = Assert.Single(rows);
        Assert.Equal(("GBP", 10_000, 11_500), (focus.Currency, focus.AskingPrice, focus.Price));
    }

    [Fact]
    public void Columns_we_have_no_field_for_are_kept_as_attributes_and_a_row_key_is_derived_when_there_is_no_id()
    {
        const string csv = "model,year,price,transmission,mileage,fuelType,tax,mpg,engineSize,make\n Fiesta,2017,7999,Manual,30000,Petrol,145,55.4,1.0,Ford\n Fiesta,2017,7999,Manual,30000,Petrol,145,55.4,1.0,Ford\n";
        var reader = new ListingCsvReader(Now);
        var rows = reader.Read(new StringReader(csv)).ToList();
        Assert.Equal("{\"tax\":145,\"mpg\":55.4,\"enginesize\":1}", rows[0].Attributes);
        Assert.NotEqual(rows[0].ExternalId, rows[1].ExternalId);
        Assert.Equal(rows[0].ExternalId + "#2", rows[1].ExternalId);
    }
}
