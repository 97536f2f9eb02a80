using System.Globalization;
using System.Text;

namespace CarRecommender.Core.Tests;

/// <summary>
/// Catalogue exports shaped like real ones, with prices that behave like a used-car market: a model's price new falls
/// about 15 % a year and with mileage, rises with power, differs by fuel, gearbox and a little by region, with ±8 %
/// noise (log-normal). Seeded, so a file is the same every run. A UK dealer export (miles, pounds, litres, BHP,
/// postcodes) and a German marketplace export ("03/2019", "45.000 km", "110 kW (150 PS)", semicolons, PLZ).
/// </summary>
public static class ExportFixtures
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private static readonly CultureInfo German = CultureInfo.GetCultureInfo("de-DE");
    public const int NewestYear = 2025;

    private sealed record Car(string Make, string Model, string Body, double NewPrice, int MinKw, int MaxKw, double MinLitres, double MaxLitres);

    private static readonly Car[] UkCars =
    [
        new("Ford", "Fiesta", "Hatchback", 19_000, 55, 103, 1.0, 1.5), new("Ford", "Focus", "Hatchback", 25_000, 74, 140, 1.0, 2.3),
        new("Ford", "Kuga", "SUV", 32_000, 88, 165, 1.5, 2.5), new("Vauxhall", "Corsa", "Hatchback", 18_500, 55, 96, 1.2, 1.4),
        new("Vauxhall", "Astra", "Hatchback", 24_000, 81, 147, 1.2, 1.6), new("Volkswagen", "Golf", "Hatchback", 28_000, 81, 180, 1.0, 2.0),
        new("Volkswagen", "Tiguan", "SUV", 36_000, 110, 180, 1.5, 2.0), new("BMW", "3 Series", "Saloon", 40_000, 115, 275, 2.0, 3.0),
        new("BMW", "X3", "SUV", 48_000, 135, 265, 2.0, 3.0), new("Audi", "A4", "Saloon", 38_000, 110, 250, 2.0, 3.0),
        new("Mercedes-Benz", "C Class", "Saloon", 42_000, 120, 290, 1.5, 3.0), new("Toyota", "Yaris", "Hatchback", 20_000, 53, 96, 1.0, 1.5),
        new("Nissan", "Qashqai", "SUV", 29_000, 103, 140, 1.3, 1.5), new("Skoda", "Octavia", "Estate", 27_000, 85, 180, 1.0, 2.0),
        new("Kia", "Sportage", "SUV", 30_000, 110, 195, 1.6, 1.6), new("Land Rover", "Range Rover Evoque", "SUV", 45_000, 120, 221, 2.0, 2.0),
    ];

    private static readonly (string Town, string Postcode, double Premium)[] UkPlaces =
    [
        ("London", "SW1A 1AA", 1.06), ("London", "E14 5AB", 1.06), ("Manchester", "M1 1AE", 1.0), ("Leeds", "LS1 4DY", 0.99),
        ("Birmingham", "B1 1BB", 1.0), ("Glasgow", "G2 1DY", 0.97), ("Bristol", "BS1 4ST", 1.02), ("Cardiff", "CF10 1EP", 0.98),
        ("Norwich", "NR1 3JU", 0.98), ("Edinburgh", "EH1 1YZ", 1.01),
    ];

    private static readonly Car[] GermanCars =
    [
        new("Volkswagen", "Golf", "Limousine", 30_000, 81, 180, 1.0, 2.0), new("Volkswagen", "Passat Variant", "Kombi", 40_000, 90, 206, 1.4, 2.0),
        new("Volkswagen", "Polo", "Kleinwagen", 21_000, 59, 110, 1.0, 1.5), new("Opel", "Corsa", "Kleinwagen", 19_000, 55, 96, 1.2, 1.4),
        new("Opel", "Astra", "Limousine", 25_000, 81, 147, 1.2, 1.6), new("BMW", "320d", "Limousine", 45_000, 120, 140, 2.0, 2.0),
        new("BMW", "X1", "SUV/Geländewagen", 42_000, 100, 170, 1.5, 2.0), new("Mercedes-Benz", "C 200", "Limousine", 46_000, 120, 150, 1.5, 2.0),
        new("Audi", "A4 Avant", "Kombi", 44_000, 110, 195, 2.0, 2.0), new("Skoda", "Octavia Combi", "Kombi", 30_000, 85, 180, 1.0, 2.0),
        new("Ford", "Focus", "Limousine", 26_000, 74, 140, 1.0, 2.3), new("Seat", "Leon", "Limousine", 27_000, 81, 221, 1.0, 2.0),
        new("Hyundai", "Tucson", "SUV/Geländewagen", 33_000, 110, 195, 1.6, 1.6), new("Renault", "Clio", "Kleinwagen", 19_500, 54, 103, 1.0, 1.6),
        new("Porsche", "911", "Sportwagen/Coupé", 120_000, 283, 478, 3.0, 4.0), new("Dacia", "Sandero", "Kleinwagen", 13_000, 48, 67, 1.0, 1.0),
    ];

    private static readonly (string Town, string Plz, double Premium)[] GermanPlaces =
    [
        ("München", "80331", 1.06), ("Berlin", "10115", 1.0), ("Hamburg", "20095", 1.02), ("Köln", "50667", 1.0), ("Leipzig", "04109", 0.95),
        ("Dresden", "01067", 0.95), ("Stuttgart", "70173", 1.05), ("Frankfurt am Main", "60311", 1.03), ("Rostock", "18055", 0.94),
    ];

    /// <summary>Make, Model, Year, Mileage (miles), Price (£), Fuel, Gearbox, Body, Engine size (litres), BHP, Location, Postcode.</summary>
    public static string UkDealer(int rows, int seed = 11)
    {
        var rng = new Random(seed);
        var sb = new StringBuilder("Make,Model,Year,Mileage (miles),Price (£),Fuel,Gearbox,Body,Engine size (litres),BHP,Location,Postcode\n");
        for (var i = 0; i < rows; i++)
        {
            var car = UkCars[rng.Next(UkCars.Length)];
            var (town, postcode, premium) = UkPlaces[rng.Next(UkPlaces.Length)];
            var (age, km, kw, litres, fuel, automatic, price) = Sample(rng, car, new Dictionary<string, double> { ["Petrol"] = 1.0, ["Diesel"] = 0.97, ["Hybrid"] = 1.12 });
            var year = NewestYear - age;
            var miles = Math.Round(km / 1.609344);
            var pounds = Math.Round(price * 0.86 * premium / 5) * 5;
            var bhp = rng.NextDouble() < 0.03 ? "" : Math.Round(kw / 0.7457).ToString(Inv);
            var engine = car.Make == "Nissan" && rng.NextDouble() < 0.3 ? "" : litres.ToString("0.0", Inv);
            sb.Append(Inv, $"{car.Make},{car.Model},{year},\"{miles.ToString("N0", Inv)}\",\"£{pounds.ToString("N0", Inv)}\",{fuel},{(automatic ? "Automatic" : "Manual")},");
            sb.Append(Inv, $"{car.Body},{engine},{bhp},{town},{postcode}\n");
        }
        return sb.ToString();
    }

    /// <summary>Marke; Modell; Erstzulassung ("03/2019"); Kilometerstand ("45.000 km"); Preis (EUR); Kraftstoff; Getriebe; Leistung ("110 kW (150 PS)"); Karosserie; PLZ; Ort.</summary>
    public static string GermanMarketplace(int rows, int seed = 12)
    {
        var rng = new Random(seed);
        var sb = new StringBuilder("Marke;Modell;Erstzulassung;Kilometerstand;Preis (EUR);Kraftstoff;Getriebe;Leistung;Karosserie;PLZ;Ort\n");
        var fuels = new Dictionary<string, double> { ["Benzin"] = 1.0, ["Diesel"] = 0.98, ["Hybrid (Benzin/Elektro)"] = 1.1 };
        for (var i = 0; i < rows; i++)
        {
            var car = GermanCars[rng.Next(GermanCars.Length)];
            var (town, plz, premium) = GermanPlaces[rng.Next(GermanPlaces.Length)];
            var (age, km, kw, _, fuel, automatic, price) = Sample(rng, car, fuels);
            var euros = Math.Round(price * premium / 10) * 10;
            var power = rng.NextDouble() < 0.03 ? "" : $"{kw} kW ({Math.Round(kw / 0.7355).ToString(Inv)} PS)";
            sb.Append(German, $"{car.Make};{car.Model};{rng.Next(1, 13):00}/{NewestYear - age};{km.ToString("N0", German)} km;{euros.ToString("N0", German)};");
            sb.Append(German, $"{fuel};{(automatic ? "Automatik" : "Schaltgetriebe")};{power};{car.Body};{plz};{town}\n");
        }
        return sb.ToString();
    }

    /// <summary>A car of <paramref name="car"/>'s range and its price in euros before the region's premium.</summary>
    private static (int Age, double Km, int Kw, double Litres, string Fuel, bool Automatic, double Price) Sample(Random rng, Car car, Dictionary<string, double> fuels)
    {
        var age = Math.Min(15, (int)(-Math.Log(1 - rng.NextDouble()) * 4.5));
        // mileage per year from 4,000 to 30,000 km: a car's mileage says much that its age does not
        var km = Math.Round((age + rng.NextDouble()) * (4_000 + 26_000 * rng.NextDouble()) / 100) * 100;
        var spread = rng.NextDouble();
        var kw = car.MinKw + (int)Math.Round((car.MaxKw - car.MinKw) * spread);
        var litres = Math.Round((car.MinLitres + (car.MaxLitres - car.MinLitres) * spread) * 10) / 10;
        var fuel = fuels.Keys.ElementAt(rng.Next(fuels.Count));
        var automatic = rng.NextDouble() < 0.2 + 0.6 * spread;
        var price = car.NewPrice * Math.Pow((double)kw / car.MinKw, 0.7) * Math.Pow(0.85, age) * Math.Exp(-0.45 * km / 100_000)
            * fuels[fuel] * (automatic ? 1.05 : 1.0) * Math.Exp(0.08 * Normal(rng));
        return (age, km, kw, litres, fuel, automatic, Math.Max(500, price));
    }

    private static double Normal(Random rng) =>
        Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
}
