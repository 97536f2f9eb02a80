using CarRecommender.Core.Domain;
using CarRecommender.Core.Features;

namespace CarRecommender.Core.Seeding;

/// <summary>
/// Generates a realistic catalogue: makes with their real models and body styles, price falling with age and
/// mileage, the fuel mix shifting with the year, cities with coordinates. Deterministic for a given seed and as-of time.
/// </summary>
public sealed class CatalogueGenerator(int seed, DateTimeOffset asOf)
{
    public const string DemoUserEmail = "demo@example.com";
    public const string AdminEmail = "admin@example.com";

    private static readonly string[] FirstNames = ["Anna", "Ben", "Clara", "David", "Elif", "Felix", "Greta", "Hugo", "Ida", "Jonas",
        "Katja", "Luca", "Mia", "Noah", "Olga", "Paul", "Rosa", "Sven", "Tara", "Uwe", "Vera", "Wim", "Yara", "Zoe"];
    private static readonly string[] LastNames = ["Schmidt", "Müller", "Novak", "Dubois", "Rossi", "Jansen", "Kowalski", "Berg",
        "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Hoffmann", "Larsen", "Moreau", "Horvat", "Silva"];
    private static readonly double[] ColourShares = [22, 20, 18, 14, 10, 6, 3, 3, 2, 1, 1];

    private readonly double[] _makeShares = CarCatalogue.Makes.Select(m => m.Share).ToArray();
    private readonly double[] _cityShares = CarCatalogue.Cities.Select(c => c.Share).ToArray();
    private int CurrentYear => asOf.Year;

    /// <summary>Listings with their content vectors. Streams, so a million rows never sit in memory at once.</summary>
    public IEnumerable<Listing> Listings(int count)
    {
        var rng = new Random(seed);
        for (var i = 0; i < count; i++) yield return NextListing(rng);
    }

    /// <summary><paramref name="count"/> users: the demo user first, then the admin, then generated shoppers.</summary>
    public IEnumerable<User> Users(int count)
    {
        var rng = new Random(unchecked(seed * 31 + 7));
        yield return NewUser(DemoUserEmail, "Demo Shopper", UserRole.User, CarCatalogue.Cities[0], rng);
        yield return NewUser(AdminEmail, "Admin", UserRole.Admin, CarCatalogue.Cities[0], rng);
        for (var i = 1; i <= count - 2; i++)
        {
            var first = FirstNames[rng.Next(FirstNames.Length)];
            var last = LastNames[rng.Next(LastNames.Length)];
            var city = CarCatalogue.Cities[Pick(rng, _cityShares)];
            yield return NewUser($"{first}.{last}.{i}@example.com".ToLowerInvariant(), $"{first} {last}", UserRole.User, city, rng);
        }
    }

    private User NewUser(string email, string name, UserRole role, City city, Random rng) => new()
    {
        Email = email,
        DisplayName = name,
        Role = role,
        City = city.Name,
        Latitude = city.Latitude,
        Longitude = city.Longitude,
        CreatedAt = asOf.AddDays(-rng.Next(0, 720)),
    };

    private Listing NextListing(Random rng)
    {
        var make = CarCatalogue.Makes[Pick(rng, _makeShares)];
        var model = make.Models[PickFront(rng, make.Models.Length)];
        var body = model.Bodies[PickFront(rng, model.Bodies.Length)];

        // Age: most cars on sale are 2–10 years old; none older than the model.
        var maxAge = Math.Max(0, CurrentYear - model.FirstYear);
        var age = Math.Min(maxAge, (int)(-Math.Log(1 - rng.NextDouble()) * 5.5));
        var year = CurrentYear - age;

        var fuel = PickFuel(rng, model.Fuels, year);
        var power = model.MinKw + (int)((model.MaxKw - model.MinKw) * Math.Pow(rng.NextDouble(), 1.6));
        var mileage = (int)Math.Max(0, (age + rng.NextDouble() * 0.5) * Normal(rng, 14_500, 4_500));
        if (fuel == FuelType.Diesel) mileage = (int)(mileage * 1.3);

        var powerFactor = 0.85 + 0.35 * (model.MaxKw == model.MinKw ? 0 : (double)(power - model.MinKw) / (model.MaxKw - model.MinKw));
        var depreciation = 0.82 * Math.Pow(0.87, age) * Math.Max(0.45, 1 - mileage / 500_000.0);
        var price = model.NewPrice * powerFactor * depreciation * Math.Exp(Normal(rng, 0, 0.09));
        price = Math.Max(500, Math.Round(price / 50) * 50);

        var autoShare = fuel == FuelType.Electric ? 1.0 : make.Segment switch
        {
            MarketSegment.Luxury => 0.95,
            MarketSegment.Premium => 0.75,
            MarketSegment.Budget => 0.15,
            _ => Math.Clamp(0.2 + (year - 2000) * 0.015, 0.2, 0.6),
        };
        var city = CarCatalogue.Cities[Pick(rng, _cityShares)];
        var listing = new Listing
        {
            Make = make.Name,
            Model = model.Name,
            Year = year,
            Price = (int)price,
            AskingPrice = (int)price,
            MileageKm = mileage,
            Fuel = fuel,
            Transmission = rng.NextDouble() < autoShare ? Transmission.Automatic : Transmission.Manual,
            BodyType = body,
            PowerKw = power,
            Colour = CarCatalogue.Colours[Pick(rng, ColourShares)],
            SellerType = rng.NextDouble() < (age < 8 ? 0.65 : 0.4) ? SellerType.Dealer : SellerType.Private,
            City = city.Name,
            Latitude = Math.Round(city.Latitude + Normal(rng, 0, 0.04), 5),
            Longitude = Math.Round(city.Longitude + Normal(rng, 0, 0.06), 5),
            Status = rng.NextDouble() < 0.08 ? ListingStatus.Sold : ListingStatus.Active,
            CreatedAt = asOf.AddMinutes(-rng.Next(0, 90 * 24 * 60)),
            EncoderVersion = ContentEncoder.Version,
        };
        // a franchise dealer per make and city (so big dealers hold hundreds of listings); a private seller sells one car
        if (listing.SellerType == SellerType.Dealer) listing.SellerId = DealerId(city.Name, make.Name);
        listing.ContentVector = new Pgvector.Vector(ContentEncoder.Encode(listing));
        return listing;
    }

    /// <summary>The generated dealer of a make in a city: "dealer-berlin-volkswagen".</summary>
    public static string DealerId(string city, string make) =>
        ("dealer-" + city + "-" + make).ToLowerInvariant().Replace(' ', '-');

    /// <summary>Diesel fades after 2018, hybrids rise after 2012, plug-ins after 2016.</summary>
    private static FuelType PickFuel(Random rng, FuelType[] fuels, int year)
    {
        if (fuels.Length == 1) return fuels[0];
        var weights = fuels.Select(f => f switch
        {
            FuelType.Petrol => 1.0,
            FuelType.Diesel => year < 2018 ? 1.1 : 0.45,
            FuelType.Hybrid => year < 2012 ? 0.05 : Math.Min(0.9, (year - 2010) / 10.0),
            FuelType.PluginHybrid => year < 2016 ? 0.0 : 0.3,
            FuelType.Electric => year < 2015 ? 0.02 : 0.5,
            FuelType.Lpg => 0.12,
            _ => 0.0,
        }).ToArray();
        return weights.Sum() <= 0 ? fuels[0] : fuels[Pick(rng, weights)];
    }

    private static int Pick(Random rng, double[] weights)
    {
        var x = rng.NextDouble() * weights.Sum();
        for (var i = 0; i < weights.Length; i++)
        {
            x -= weights[i];
            if (x < 0) return i;
        }
        return weights.Length - 1;
    }

    /// <summary>Earlier entries are more common (the best-selling model or body style is listed first).</summary>
    private static int PickFront(Random rng, int n) => (int)Math.Min(n - 1, Math.Floor(n * Math.Pow(rng.NextDouble(), 1.7)));

    private static double Normal(Random rng, double mean, double sd)
    {
        var u1 = 1.0 - rng.NextDouble();
        var u2 = rng.NextDouble();
        return mean + sd * Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
