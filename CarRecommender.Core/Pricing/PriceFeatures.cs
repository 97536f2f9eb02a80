using System.Globalization;
using System.Text.Json;
using CarRecommender.Core.Domain;

namespace CarRecommender.Core.Pricing;

/// <summary>
/// Makes a listing a <see cref="PriceRow"/>: make, make + model, year, mileage, power, fuel, gearbox, body, engine size
/// (an attribute of the feed: "Engine size (litres)", "engineSize", "Hubraum" in cm³…) and region. The region is the
/// postcode area when the feed has a postcode ("SW1A 1AA" → "SW", "10115" → "10"), else the city, else a 1° cell of the
/// coordinates, else unknown. What a listing does not say stays unknown (NaN or an empty category), never guessed.
/// Keeps one copy of each repeated string (car models, regions), so a million rows hold a few thousand strings; one
/// instance per file, not thread-safe.
/// </summary>
public sealed class PriceFeatures
{
    private static readonly string[] FuelNames = Enum.GetNames<FuelType>();
    private static readonly string[] TransmissionNames = Enum.GetNames<Transmission>();
    private static readonly string[] BodyNames = Enum.GetNames<BodyType>();
    private static readonly string[] EngineKeys = ["engine_size", "enginesize", "engine_capacity", "engine_cc", "engine", "displacement", "hubraum",
        "cylindree", "cilindrata", "cubic_capacity"];
    private static readonly string[] PostcodeKeys = ["postcode", "post_code", "postal_code", "zip", "zip_code", "zipcode", "plz", "postleitzahl",
        "code_postal", "cap"];

    private readonly Dictionary<(string Make, string Model), string> _carModels = [];
    private readonly Dictionary<string, string> _regions = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<(int Lat, int Lon), string> _cells = [];

    public PriceRow Row(Listing listing)
    {
        if (!_carModels.TryGetValue((listing.Make, listing.Model), out var carModel))
            _carModels[(listing.Make, listing.Model)] = carModel = listing.Make + " " + listing.Model;
        var (engine, postcode) = ReadAttributes(listing.Attributes);
        var price = listing.AskingPrice > 0 ? listing.AskingPrice : listing.Price;
        return new PriceRow
        {
            Make = listing.Make,
            CarModel = carModel,
            Fuel = FuelNames[(int)listing.Fuel],
            Transmission = TransmissionNames[(int)listing.Transmission],
            Body = BodyNames[(int)listing.BodyType],
            Region = RegionOf(postcode, listing.City, listing.Latitude, listing.Longitude),
            Year = listing.Year,
            MileageKm = listing.MileageKm,
            PowerKw = listing.PowerKw is { } kw ? kw : float.NaN,
            EngineLitres = engine,
            Price = price,
            Label = price > 0 ? MathF.Log(price) : float.NaN,
            Currency = listing.Currency.ToUpperInvariant() is var c && c.Length > 0 ? Intern(c) : "EUR",
        };
    }

    private string RegionOf(string? postcode, string? city, double? latitude, double? longitude)
    {
        if (postcode is not null && PostcodeArea(postcode) is { } area) return Intern(area);
        if (city is not null && PostcodeArea(city) is { } cityArea) return Intern(cityArea);
        if (city is not null) return Intern(city.Trim());
        if (latitude is not { } lat || longitude is not { } lon) return "";
        var cell = ((int)Math.Floor(lat), (int)Math.Floor(lon));
        if (!_cells.TryGetValue(cell, out var name))
            _cells[cell] = name = string.Create(CultureInfo.InvariantCulture, $"{cell.Item1}°,{cell.Item2}°");
        return name;
    }

    private string Intern(string s)
    {
        if (_regions.TryGetValue(s, out var kept)) return kept;
        _regions[s] = s;
        return s;
    }

    /// <summary>
    /// The area of a postcode: the leading letters of a UK one ("SW1A 1AA" → "SW", "M1 1AE" → "M"), the first two digits of
    /// a numeric one ("10115" → "10", a German PLZ region). Null for what looks like no postcode (a city name).
    /// </summary>
    public static string? PostcodeArea(string text)
    {
        var t = text.Trim();
        if (t.Length is < 2 or > 10) return null;
        if (char.IsAsciiDigit(t[0]))
            return t.All(char.IsAsciiDigit) && t.Length >= 4 ? t[..2] : null;
        var letters = 0;
        while (letters < t.Length && char.IsAsciiLetter(t[letters])) letters++;
        // a UK postcode: one or two letters, then a digit ("SW1A 1AA", "M1", "EH12 9JB")
        if (letters is < 1 or > 2 || letters >= t.Length || !char.IsAsciiDigit(t[letters])) return null;
        return t[..letters].ToUpperInvariant();
    }

    /// <summary>The engine size in litres (a value from 50 up is read as cm³) and the postcode, from the feed's attributes.</summary>
    private static (float Engine, string? Postcode) ReadAttributes(string? attributes)
    {
        // most rows of most feeds have neither: skip the parse unless a key we want may be there
        if (attributes is null || !(attributes.Contains("engine", StringComparison.Ordinal) || attributes.Contains("hubraum", StringComparison.Ordinal)
            || attributes.Contains("displacement", StringComparison.Ordinal) || attributes.Contains("cylindr", StringComparison.Ordinal)
            || attributes.Contains("cilindr", StringComparison.Ordinal) || attributes.Contains("capacity", StringComparison.Ordinal)
            || PostcodeKeys.Any(k => attributes.Contains(k, StringComparison.Ordinal))))
            return (float.NaN, null);
        var engine = float.NaN;
        string? postcode = null;
        try
        {
            using var json = JsonDocument.Parse(attributes);
            if (json.RootElement.ValueKind != JsonValueKind.Object) return (float.NaN, null);
            foreach (var p in json.RootElement.EnumerateObject())
            {
                if (float.IsNaN(engine) && Matches(p.Name, EngineKeys) && Number(p.Value) is { } size)
                    engine = size switch { >= 50 and <= 10_000 => (float)(size / 1000), >= 0.5 and <= 10 => (float)size, _ => float.NaN };
                else if (postcode is null && Matches(p.Name, PostcodeKeys))
                    postcode = p.Value.ValueKind == JsonValueKind.Number
                        // a numeric postcode lost its leading zero on the way in ("01067" → 1067): German PLZ have five digits
                        ? p.Value.GetDouble().ToString("00000", CultureInfo.InvariantCulture) : p.Value.GetString();
            }
        }
        catch (JsonException)
        {
            return (float.NaN, null);
        }
        return (engine, postcode);
    }

    private static bool Matches(string key, string[] names) =>
        names.Any(n => key == n || key.StartsWith(n + "_", StringComparison.Ordinal));

    /// <summary>A number, or the leading number of a text ("1.6 L", "1,598 cm³" → 1598).</summary>
    private static double? Number(JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.Number) return value.GetDouble();
        if (value.ValueKind != JsonValueKind.String || value.GetString() is not { } s) return null;
        var digits = new string(s.TakeWhile(c => char.IsAsciiDigit(c) || c is '.' or ',' || char.IsWhiteSpace(c)).Where(c => !char.IsWhiteSpace(c)).ToArray());
        // "1,598" is a thousands separator, "1,6" a decimal comma
        digits = digits.Length - digits.LastIndexOf(',') - 1 == 3 ? digits.Replace(",", "", StringComparison.Ordinal) : digits.Replace(',', '.');
        return double.TryParse(digits, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : null;
    }
}
