using System.Globalization;
using System.Text;

namespace CarRecommender.EndToEnd.Tests;

/// <summary>A catalogue file shaped like a real export, with what a correct import must find in it.</summary>
public sealed record CatalogueFixture(string Name, string Csv, int Rows, int Valid, string Unit, double TrueKmMedian, bool HasBodyColumn);

/// <summary>
/// Files with the columns, units and quirks of real public used-car exports (written here, seeded, so the truth is
/// known): a UK dealer dataset (miles, no body type, leading spaces in models, "Semi-Auto", "Other", a year 2060, exact
/// duplicates, tax/mpg/engineSize), a German marketplace export (km in a column named "mileage", "-/- (Fuel)",
/// "Electric/Gasoline", new cars with no mileage, missing gearboxes, a few rows without a model), a German-header file
/// (Kilometerstand, "12.500", Kombi/Limousine/Kleinwagen) and a French one (Kilométrage, Essence/Gazole, Berline/Break).
/// </summary>
public static class CatalogueFixtures
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static CatalogueFixture UkDealer(int rows = 3_000, int seed = 1)
    {
        var rng = new Random(seed);
        (string Make, string Model)[] models =
        [
            ("Ford", " Fiesta"), ("Ford", " Focus"), ("Ford", " Kuga"), ("Ford", " Ka+"), ("Ford", " EcoSport"), ("Ford", " Tourneo Custom"),
            ("VW", " Golf"), ("VW", " Polo"), ("VW", " Tiguan"), ("VW", " Passat"), ("VW", " Up"), ("VW", " T-Roc"),
            ("Vauxhall", " Corsa"), ("Vauxhall", " Astra"), ("Vauxhall", " Mokka X"), ("Vauxhall", " Insignia"), ("Vauxhall", " Crossland X"),
            ("Mercedes", " C Class"), ("Mercedes", " A Class"), ("Mercedes", " GLC Class"), ("Mercedes", " E Class"),
            ("BMW", " 3 Series"), ("BMW", " 1 Series"), ("BMW", " X1"), ("BMW", " 5 Series"), ("Audi", " A3"), ("Audi", " Q3"), ("Audi", " A4"),
            ("Toyota", " Yaris"), ("Toyota", " Aygo"), ("Toyota", " C-HR"), ("Skoda", " Octavia"), ("Skoda", " Fabia"), ("Hyundai", " Tucson"), ("Hyundai", " I10"),
        ];
        var sb = new StringBuilder("model,year,price,transmission,mileage,fuelType,tax,mpg,engineSize,make\n");
        var km = new List<double>();
        var valid = 0;
        string? previous = null;
        for (var i = 0; i < rows; i++)
        {
            string line;
            if (i == rows / 2) line = " Fiesta,2060,6495,Automatic,54807,Petrol,205,42.8,1.4,Ford"; // a typo in the source data
            else if (previous is not null && i % 200 == 0) { line = previous; km.Add(km[^1]); valid++; } // exact duplicates: two cars of a dealer
            else
            {
                var (make, model) = rng.NextDouble() < 0.01 ? ("Ford", " Zoomster") : models[rng.Next(models.Length)];
                var age = Math.Min(12, -Math.Log(1 - rng.NextDouble()) * 3);
                var year = 2020 - (int)age;
                var miles = Math.Max(5, Math.Round((2020 - year + 0.5) * 7_000 * (0.4 + 1.2 * rng.NextDouble())));
                var transmission = Pick(rng, ("Manual", 55), ("Automatic", 25), ("Semi-Auto", 19), ("Other", 1));
                var fuel = Pick(rng, ("Petrol", 55), ("Diesel", 38), ("Hybrid", 5), ("Other", 1), ("Electric", 1));
                var price = Math.Round(25_000 * Math.Pow(0.85, 2020 - year) * (0.6 + 0.8 * rng.NextDouble()));
                line = string.Create(Inv, $"{model},{year},{price},{transmission},{miles},{fuel},{rng.Next(0, 58) * 10},{30 + rng.NextDouble() * 40:F1},{1 + rng.Next(0, 21) / 10.0:F1},{make}");
                km.Add(miles * 1.609344);
                valid++;
                previous = line;
            }
            sb.Append(line).Append('\n');
        }
        return new CatalogueFixture("UK dealer (miles, no body)", sb.ToString(), rows, valid, "miles", Median(km), HasBodyColumn: false);
    }

    public static CatalogueFixture GermanMarketplace(int rows = 2_000, int seed = 2)
    {
        var rng = new Random(seed);
        (string Make, string Model)[] models =
        [
            ("Volkswagen", "Golf"), ("Volkswagen", "Polo"), ("Volkswagen", "up!"), ("Volkswagen", "Passat Variant"), ("Opel", "Corsa"), ("Opel", "Astra"),
            ("Ford", "Fiesta"), ("Ford", "Focus"), ("Skoda", "Octavia"), ("Skoda", "Fabia"), ("Renault", "Clio"), ("Renault", "Twingo"), ("SEAT", "Ibiza"),
            ("SEAT", "Leon"), ("Fiat", "500"), ("Fiat", "Panda"), ("BMW", "320"), ("BMW", "118"), ("Mercedes-Benz", "C 200"), ("Mercedes-Benz", "A 180"),
            ("Audi", "A3"), ("Audi", "A4"), ("Hyundai", "i30"), ("Hyundai", "Tucson"), ("Toyota", "Yaris"), ("Toyota", "Aygo"), ("Peugeot", "208"),
            ("Peugeot", "2008"), ("Dacia", "Sandero"), ("Dacia", "Duster"), ("Kia", "Picanto"), ("Kia", "Ceed"), ("Mazda", "CX-5"), ("Citroen", "C3"),
        ];
        var sb = new StringBuilder("mileage,make,model,fuel,gear,offerType,price,hp,year\n");
        var km = new List<double>();
        var valid = 0;
        for (var i = 0; i < rows; i++)
        {
            var (make, model) = models[rng.Next(models.Length)];
            if (i % 333 == 7) model = ""; // the export has a few rows without a model
            var year = 2021 - rng.Next(0, 11);
            var offer = Pick(rng, ("Used", 85), ("Demonstration", 5), ("Pre-registered", 5), ("New", 5));
            double mileage = offer switch
            {
                "Used" => Math.Round((2021 - year + 0.5) * 13_000 * (0.4 + 1.2 * rng.NextDouble())),
                "Demonstration" => rng.Next(1_000, 15_000),
                "Pre-registered" => rng.Next(10, 500),
                _ => rng.Next(0, 50),
            };
            var fuel = Pick(rng, ("Gasoline", 60), ("Diesel", 30), ("Electric/Gasoline", 5), ("Electric", 2), ("-/- (Fuel)", 1), ("Others", 1), ("LPG", 1));
            var gear = Pick(rng, ("Manual", 65), ("Automatic", 33), ("Semi-automatic", 1), ("", 1));
            var hp = rng.NextDouble() < 0.01 ? "" : rng.Next(60, 250).ToString(Inv);
            var price = Math.Round(30_000 * Math.Pow(0.87, 2021 - year) * (0.6 + 0.8 * rng.NextDouble()));
            sb.Append(Inv, $"{mileage},{make},{model},{fuel},{gear},{offer},{price},{hp},{year}\n");
            if (model.Length == 0) continue;
            valid++;
            km.Add(mileage);
        }
        return new CatalogueFixture("German marketplace (km in 'mileage', no body)", sb.ToString(), rows, valid, "km", Median(km), HasBodyColumn: false);
    }

    public static CatalogueFixture GermanHeaders(int rows = 500, int seed = 3)
    {
        var rng = new Random(seed);
        (string Make, string Model)[] models = [("VW", "Golf"), ("Opel", "Astra"), ("BMW", "3er"), ("Mercedes-Benz", "E 220"), ("Audi", "A4 Avant"), ("Skoda", "Superb Combi"), ("Ford", "Kuga")];
        var sb = new StringBuilder("Marke;Modell;Erstzulassung;Kilometerstand;Preis;Kraftstoff;Getriebe;Karosserieform;Leistung (PS);Anbieter\n");
        var km = new List<double>();
        for (var i = 0; i < rows; i++)
        {
            var (make, model) = models[rng.Next(models.Length)];
            var year = 2024 - rng.Next(0, 12);
            var mileage = Math.Round((2024 - year + 0.5) * 14_000 * (0.4 + 1.2 * rng.NextDouble()));
            var price = (int)Math.Round(28_000 * Math.Pow(0.88, 2024 - year) * (0.6 + 0.8 * rng.NextDouble()) / 10) * 10;
            var fuel = Pick(rng, ("Benzin", 50), ("Diesel", 35), ("Elektro", 5), ("Hybrid (Benzin/Elektro)", 8), ("Autogas (LPG)", 2));
            var gear = Pick(rng, ("Schaltgetriebe", 55), ("Automatik", 43), ("Halbautomatik", 2));
            var body = Pick(rng, ("Kombi", 25), ("Limousine", 25), ("Kleinwagen", 20), ("SUV/Geländewagen/Pickup", 15), ("Van/Kleinbus", 5), ("Cabrio/Roadster", 4),
                ("Sportwagen/Coupé", 4), ("Andere", 2));
            sb.Append(Inv, $"{make};{model};{rng.Next(1, 13):00}/{year};{mileage.ToString("N0", CultureInfo.GetCultureInfo("de-DE"))};{price.ToString("N0", CultureInfo.GetCultureInfo("de-DE"))} €;");
            sb.Append(Inv, $"{fuel};{gear};{body};{rng.Next(75, 300)};{(rng.NextDouble() < 0.8 ? "Händler" : "Privat")}\n");
            km.Add(mileage);
        }
        return new CatalogueFixture("German headers (Kilometerstand, 12.500 €)", sb.ToString(), rows, rows, "km", Median(km), HasBodyColumn: true);
    }

    public static CatalogueFixture French(int rows = 500, int seed = 4)
    {
        var rng = new Random(seed);
        (string Make, string Model)[] models = [("Renault", "Clio"), ("Peugeot", "208"), ("Citroën", "C3"), ("Dacia", "Sandero"), ("Renault", "Captur"), ("Peugeot", "3008"), ("Toyota", "Yaris")];
        var sb = new StringBuilder("Marque;Modèle;Année;Kilométrage;Prix;Carburant;Boîte de vitesse;Carrosserie;Puissance (ch)\n");
        var km = new List<double>();
        for (var i = 0; i < rows; i++)
        {
            var (make, model) = models[rng.Next(models.Length)];
            var year = 2024 - rng.Next(0, 12);
            var mileage = Math.Round((2024 - year + 0.5) * 12_500 * (0.4 + 1.2 * rng.NextDouble()));
            var price = (int)Math.Round(20_000 * Math.Pow(0.88, 2024 - year) * (0.6 + 0.8 * rng.NextDouble()) / 10) * 10;
            var fuel = Pick(rng, ("Essence", 50), ("Gazole", 35), ("Électrique", 5), ("Hybride", 8), ("GPL", 2));
            var gear = Pick(rng, ("Manuelle", 70), ("Automatique", 30));
            var body = Pick(rng, ("Citadine", 35), ("Berline", 20), ("Break", 10), ("SUV", 20), ("Monospace", 5), ("4x4", 5), ("Coupé", 3), ("Cabriolet", 2));
            sb.Append(Inv, $"{make};{model};{year};{mileage.ToString("N0", CultureInfo.GetCultureInfo("fr-FR"))} km;{price.ToString("N0", CultureInfo.GetCultureInfo("fr-FR"))} €;{fuel};{gear};{body};{rng.Next(65, 200)}\n");
            km.Add(mileage);
        }
        return new CatalogueFixture("French (Kilométrage, Essence/Gazole)", sb.ToString(), rows, rows, "km", Median(km), HasBodyColumn: true);
    }

    private static string Pick(Random rng, params (string Value, int Weight)[] options)
    {
        var x = rng.Next(options.Sum(o => o.Weight));
        foreach (var (value, weight) in options)
            if ((x -= weight) < 0) return value;
        return options[^1].Value;
    }

    /// <summary>
    /// A Swiss dealer group's export: semicolon-separated, German headers (Inserat-ID, Marke, Modell, Baujahr,
    /// Kilometerstand, Treibstoff, Getriebe, Karosserie, PS, Preis, Währung, PLZ, Ort, Händler), prices in CHF that fall
    /// with age and mileage around each model's new price, and every <paramref name="bargainEvery"/>th car offered 35 %
    /// under what its twins ask (a deal the price model must find).
    /// </summary>
    public static CatalogueFixture SwissDealer(int rows = 400, int seed = 5, int bargainEvery = 25)
    {
        var rng = new Random(seed);
        (string Make, string Model, string Body, double NewPrice, int Ps)[] models =
        [
            ("VW", "Golf", "Limousine", 38_000, 150), ("VW", "Tiguan", "SUV / Geländewagen", 48_000, 190), ("VW", "Passat Variant", "Kombi", 52_000, 190),
            ("Skoda", "Octavia Combi", "Kombi", 36_000, 150), ("Skoda", "Fabia", "Kleinwagen", 22_000, 95), ("Audi", "A4 Avant", "Kombi", 58_000, 204),
            ("BMW", "320d Touring", "Kombi", 62_000, 190), ("BMW", "X3", "SUV / Geländewagen", 72_000, 245), ("Mercedes-Benz", "A 200", "Limousine", 45_000, 163),
            ("Toyota", "Yaris", "Kleinwagen", 24_000, 116), ("Toyota", "RAV4", "SUV / Geländewagen", 50_000, 218), ("Volvo", "XC60", "SUV / Geländewagen", 70_000, 250),
        ];
        (string Plz, string Ort)[] places = [("8001", "Zürich"), ("3011", "Bern"), ("4051", "Basel"), ("6003", "Luzern"), ("9000", "St. Gallen"), ("1201", "Genève")];
        var sb = new StringBuilder("Inserat-ID;Marke;Modell;Baujahr;Kilometerstand;Treibstoff;Getriebe;Karosserie;PS;Preis;Währung;PLZ;Ort;Händler\n");
        var km = new List<double>();
        for (var i = 0; i < rows; i++)
        {
            var (make, model, body, newPrice, ps) = models[rng.Next(models.Length)];
            var age = rng.Next(0, 10);
            var kilometres = 100 * Math.Round(Math.Max(500, age * 14_000 * (0.5 + rng.NextDouble())) / 100);
            var fair = newPrice * Math.Pow(0.88, age) * Math.Exp(-kilometres / 400_000) * (0.95 + 0.1 * rng.NextDouble());
            var price = 10 * Math.Round((i % bargainEvery == 3 ? 0.65 * fair : fair) / 10);
            var fuel = Pick(rng, ("Benzin", 55), ("Diesel", 35), ("Hybrid", 10));
            var gearbox = Pick(rng, ("Automat", 70), ("Schaltgetriebe", 30));
            var (plz, ort) = places[rng.Next(places.Length)];
            sb.Append(string.Create(Inv, $"CH-{seed}-{i:D5};{make};{model};{2025 - age};{kilometres};{fuel};{gearbox};{body};{ps};{price};CHF;{plz};{ort};garage-{rng.Next(1, 12)}\n"));
            km.Add(kilometres);
        }
        return new CatalogueFixture("Swiss dealer (CHF, semicolons)", sb.ToString(), rows, rows, "km", Median(km), HasBodyColumn: true);
    }

    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count == 0 ? 0 : sorted[sorted.Count / 2];
    }
}
