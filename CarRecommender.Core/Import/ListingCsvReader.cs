using System.Globalization;
using System.Text.RegularExpressions;
using CarRecommender.Core.Domain;
using CarRecommender.Core.Features;
using CsvHelper;
using CsvHelper.Configuration;

namespace CarRecommender.Core.Import;

/// <summary>The listing fields a CSV column can map to.</summary>
public enum ImportField { Make, Model, Year, Price, Mileage, Fuel, Transmission, Body, PowerKw, PowerHp, Colour, SellerType, City, Latitude, Longitude }

/// <summary>A row that could not be imported, with the reason a person can act on.</summary>
public sealed record ImportRejection(long Line, string Reason);

/// <summary>What an import did: counts, the column mapping it used, rejected rows and warnings.</summary>
public sealed record ImportReport(long RowsRead, long Imported, long Rejected, IReadOnlyDictionary<string, string> Mapping,
    IReadOnlyList<ImportRejection> Rejections, IReadOnlyList<string> Warnings);

/// <summary>
/// Reads a catalogue CSV into listings: matches columns by their usual names (make/brand/manufacturer, price,
/// year/registration, mileage/km/odometer, fuel, gearbox/transmission, body, …) unless mapped explicitly, converts
/// units (miles → km, hp → kW), normalises categories, and validates each row on its own. A bad row is rejected with
/// its line and reason; it never stops the import and is never half-read.
/// </summary>
public sealed partial class ListingCsvReader
{
    public const int MaxRejectionsReported = 200;

    private static readonly (ImportField Field, string[] Names)[] Synonyms =
    [
        (ImportField.Make, ["make", "brand", "manufacturer", "marke", "marque"]),
        (ImportField.Model, ["model", "modell", "model_name", "variant"]),
        (ImportField.Year, ["year", "model_year", "registration", "first_registration", "registration_year", "reg_year", "erstzulassung", "year_of_manufacture"]),
        (ImportField.Price, ["price", "price_eur", "asking_price", "preis", "price_in_euro"]),
        (ImportField.Mileage, ["mileage", "mileage_km", "km", "kilometers", "kilometres", "odometer", "kilometerstand", "miles", "mileage_miles", "odometer_miles"]),
        (ImportField.Fuel, ["fuel", "fuel_type", "fueltype", "kraftstoff", "energy"]),
        (ImportField.Transmission, ["transmission", "gearbox", "gear", "getriebe", "transmission_type"]),
        (ImportField.Body, ["body", "body_type", "bodytype", "body_style", "type", "karosserie", "vehicle_type"]),
        (ImportField.PowerKw, ["power_kw", "kw", "power", "leistung_kw"]),
        (ImportField.PowerHp, ["power_hp", "hp", "horsepower", "ps", "bhp"]),
        (ImportField.Colour, ["colour", "color", "farbe", "paint"]),
        (ImportField.SellerType, ["seller_type", "seller", "offer_type"]),
        (ImportField.City, ["city", "location", "town", "ort"]),
        (ImportField.Latitude, ["lat", "latitude"]),
        (ImportField.Longitude, ["lon", "lng", "longitude"]),
    ];

    private readonly Dictionary<ImportField, int> _columns = [];
    private readonly List<string> _warnings = [];
    private readonly List<ImportRejection> _rejections = [];
    private bool _mileageInMiles;
    private readonly DateTimeOffset _now;

    public ListingCsvReader(DateTimeOffset now) => _now = now;

    public long RowsRead { get; private set; }
    public long Rejected { get; private set; }
    public IReadOnlyList<ImportRejection> Rejections => _rejections;
    public IReadOnlyList<string> Warnings => _warnings;
    public Dictionary<string, string> Mapping { get; } = [];

    /// <summary>
    /// Parses <c>column=field</c> overrides (e.g. <c>Hersteller=make</c>); the field may be <c>mileage_miles</c>.
    /// Returns an error message for a malformed one.
    /// </summary>
    public static string? ParseMap(IEnumerable<string> maps, out Dictionary<string, string> result)
    {
        result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var m in maps)
        {
            var parts = m.Split('=', 2, StringSplitOptions.TrimEntries);
            if (parts.Length != 2 || parts[0].Length == 0 || parts[1].Length == 0)
                return $"'{m}' is not column=field";
            var field = parts[1].Replace("_", "", StringComparison.Ordinal);
            if (!field.Equals("mileagemiles", StringComparison.OrdinalIgnoreCase) && !Enum.TryParse<ImportField>(field, true, out _))
                return $"'{parts[1]}' is not a field: use {string.Join(", ", Enum.GetNames<ImportField>())} or mileage_miles";
            result[parts[0]] = parts[1];
        }
        return null;
    }

    /// <summary>Reads every valid row. Consumers must enumerate to the end for the counts to be complete.</summary>
    public IEnumerable<Listing> Read(TextReader text, IReadOnlyDictionary<string, string>? map = null)
    {
        var config = new CsvConfiguration(CultureInfo.InvariantCulture)
        {
            DetectDelimiter = true,
            DetectDelimiterValues = [",", ";", "\t", "|"],
            BadDataFound = null,
            MissingFieldFound = null,
            TrimOptions = TrimOptions.Trim,
            IgnoreBlankLines = true,
            MaxFieldSize = 10_000,
        };
        using var csv = new CsvReader(text, config);
        if (!csv.Read() || !csv.ReadHeader() || csv.HeaderRecord is not { Length: > 0 } header)
        {
            _warnings.Add("The file is empty or has no header row.");
            yield break;
        }
        MatchColumns(header, map ?? new Dictionary<string, string>());
        var missing = new[] { ImportField.Make, ImportField.Model, ImportField.Year, ImportField.Price, ImportField.Mileage }
            .Where(f => !_columns.ContainsKey(f)).ToList();
        if (missing.Count > 0)
        {
            _warnings.Add($"Required columns not found: {string.Join(", ", missing)}. Map them with column=field.");
            yield break;
        }

        while (true)
        {
            bool more;
            try
            {
                more = csv.Read();
            }
            catch (CsvHelperException ex)
            {
                Reject(csv.Parser.RawRow, "unreadable row: " + ex.GetType().Name);
                yield break;
            }
            if (!more) yield break;
            RowsRead++;
            var line = csv.Parser.RawRow;
            string? error;
            Listing? listing;
            try
            {
                listing = ParseRow(csv, header.Length, out error);
            }
            catch (CsvHelperException ex)
            {
                listing = null;
                error = "unreadable row: " + ex.GetType().Name;
            }
            if (listing is null) Reject(line, error ?? "invalid row");
            else yield return listing;
        }
    }

    public ImportReport Report(long imported) =>
        new(RowsRead, imported, Rejected, Mapping, _rejections, _warnings);

    private void Reject(long line, string reason)
    {
        Rejected++;
        if (_rejections.Count < MaxRejectionsReported) _rejections.Add(new ImportRejection(line, reason));
    }

    private void MatchColumns(string[] header, IReadOnlyDictionary<string, string> map)
    {
        var normalised = header.Select(Normalise).ToArray();
        for (var i = 0; i < header.Length; i++)
        {
            if (!map.TryGetValue(header[i], out var target)) continue;
            var key = target.Replace("_", "", StringComparison.Ordinal);
            if (key.Equals("mileagemiles", StringComparison.OrdinalIgnoreCase))
            {
                _columns[ImportField.Mileage] = i;
                _mileageInMiles = true;
            }
            else _columns[Enum.Parse<ImportField>(key, true)] = i;
        }
        foreach (var (field, names) in Synonyms)
        {
            if (_columns.ContainsKey(field)) continue;
            for (var i = 0; i < header.Length; i++)
            {
                if (_columns.ContainsValue(i) || !names.Contains(normalised[i])) continue;
                _columns[field] = i;
                if (field == ImportField.Mileage && normalised[i].Contains("mile", StringComparison.Ordinal)) _mileageInMiles = true;
                break;
            }
        }
        foreach (var (field, i) in _columns.OrderBy(c => c.Value))
            Mapping[header[i]] = field == ImportField.Mileage && _mileageInMiles ? "mileage (miles → km)" : field.ToString();
        if (_mileageInMiles) _warnings.Add("Mileage is in miles: converted to km (× 1.609344).");
        if (!_columns.ContainsKey(ImportField.Transmission)) _warnings.Add("No transmission column: rows count as Manual.");
        if (!_columns.ContainsKey(ImportField.City) && !_columns.ContainsKey(ImportField.Latitude))
            _warnings.Add($"No city or coordinates: rows are placed in {CarCatalogue.Cities[0].Name}.");
    }

    private Listing? ParseRow(CsvReader csv, int width, out string? error)
    {
        error = null;
        if (csv.Parser.Count != width)
        {
            error = $"has {csv.Parser.Count} fields, the header has {width}";
            return null;
        }
        string? Get(ImportField f) => _columns.TryGetValue(f, out var i) ? Clean(csv.GetField(i)) : null;

        var make = Get(ImportField.Make);
        var model = Get(ImportField.Model);
        if (make is null || make.Length > 40) { error = "make is missing or longer than 40 characters"; return null; }
        if (model is null || model.Length > 60) { error = "model is missing or longer than 60 characters"; return null; }
        var knownMake = CarCatalogue.FindMake(make);
        make = knownMake?.Name ?? CultureInfo.InvariantCulture.TextInfo.ToTitleCase(make.ToLowerInvariant());
        var knownModel = knownMake?.Models.FirstOrDefault(m => m.Name.Equals(model, StringComparison.OrdinalIgnoreCase));
        model = knownModel?.Name ?? model;

        var year = ParseYear(Get(ImportField.Year));
        if (year is null || year < 1900 || year > _now.Year + 1) { error = $"year '{Get(ImportField.Year)}' is not a year between 1900 and {_now.Year + 1}"; return null; }
        var price = ParseNumber(Get(ImportField.Price));
        if (price is null || price <= 0 || price > 10_000_000) { error = $"price '{Get(ImportField.Price)}' is not a positive amount up to 10,000,000"; return null; }
        var mileage = ParseNumber(Get(ImportField.Mileage));
        if (mileage is null || mileage < 0) { error = $"mileage '{Get(ImportField.Mileage)}' is not a number ≥ 0"; return null; }
        if (_mileageInMiles) mileage *= 1.609344;
        if (mileage > 5_000_000) { error = "mileage is over 5,000,000 km"; return null; }

        FuelType fuel;
        var fuelText = Get(ImportField.Fuel);
        if (fuelText is null) fuel = knownModel?.Fuels[0] ?? FuelType.Petrol;
        else if (ParseFuel(fuelText) is { } f) fuel = f;
        else { error = $"fuel '{fuelText}' is not one of petrol, diesel, hybrid, plug-in hybrid, electric, lpg"; return null; }

        var transmission = Transmission.Manual;
        if (Get(ImportField.Transmission) is { } tText)
        {
            if (ParseTransmission(tText) is { } t) transmission = t;
            else { error = $"transmission '{tText}' is not manual or automatic"; return null; }
        }

        BodyType body;
        var bodyText = Get(ImportField.Body);
        if (bodyText is not null && ParseBody(bodyText) is { } b) body = b;
        else if (knownModel is not null) body = knownModel.Bodies[0];
        else { error = bodyText is null ? "body type is missing and the model is unknown" : $"body type '{bodyText}' is not recognised"; return null; }

        int power;
        if (ParseNumber(Get(ImportField.PowerKw)) is { } kw) power = (int)Math.Round(kw);
        else if (ParseNumber(Get(ImportField.PowerHp)) is { } hp) power = (int)Math.Round(hp * 0.7355);
        else power = knownModel is null ? 85 : (knownModel.MinKw + knownModel.MaxKw) / 2;
        if (power <= 0 || power > 2_000) { error = $"power {power} kW is out of range"; return null; }

        var cityName = Get(ImportField.City);
        var city = cityName is null ? null : CarCatalogue.Cities.FirstOrDefault(c => c.Name.Equals(cityName, StringComparison.OrdinalIgnoreCase));
        double lat, lon;
        if (ParseNumber(Get(ImportField.Latitude)) is { } la && ParseNumber(Get(ImportField.Longitude)) is { } lo)
        {
            if (la is < -90 or > 90 || lo is < -180 or > 180) { error = "coordinates are out of range"; return null; }
            (lat, lon) = (la, lo);
        }
        else if (city is not null) (lat, lon) = (city.Latitude, city.Longitude);
        else if (cityName is not null) { error = $"city '{cityName}' is unknown and the row has no coordinates"; return null; }
        else (lat, lon) = (CarCatalogue.Cities[0].Latitude, CarCatalogue.Cities[0].Longitude);

        var seller = Get(ImportField.SellerType) is { } s && s.Contains("priv", StringComparison.OrdinalIgnoreCase)
            ? SellerType.Private : SellerType.Dealer;
        var colour = Get(ImportField.Colour)?.ToLowerInvariant() ?? "unknown";
        if (colour.Length > 30) colour = colour[..30];

        var listing = new Listing
        {
            Make = make,
            Model = model,
            Year = year.Value,
            Price = (int)Math.Round(price.Value),
            MileageKm = (int)Math.Round(mileage.Value),
            Fuel = fuel,
            Transmission = transmission,
            BodyType = body,
            PowerKw = power,
            Colour = colour,
            SellerType = seller,
            City = city?.Name ?? cityName ?? CarCatalogue.Cities[0].Name,
            Latitude = lat,
            Longitude = lon,
            Status = ListingStatus.Active,
            CreatedAt = _now,
            EncoderVersion = ContentEncoder.Version,
        };
        listing.ContentVector = new Pgvector.Vector(ContentEncoder.Encode(listing));
        return listing;
    }

    private static string? Clean(string? s)
    {
        if (string.IsNullOrWhiteSpace(s)) return null;
        s = s.Trim();
        // control characters and undecodable bytes (U+FFFD) never reach the database
        var kept = new string(s.Where(c => !char.IsControl(c) && c != '\uFFFD').ToArray());
        return kept.Length > 0 ? kept : null;
    }

    private static string Normalise(string header) =>
        NonWord().Replace(header.Trim().ToLowerInvariant(), "_").Trim('_');

    /// <summary>"2019", "2019-05-01", "05/2019", "5.2019" → 2019.</summary>
    private static int? ParseYear(string? s)
    {
        if (s is null) return null;
        var m = FourDigits().Match(s);
        return m.Success ? int.Parse(m.Value, CultureInfo.InvariantCulture) : null;
    }

    /// <summary>"€ 12.500", "12,500", "12500.00", "12 500 km" → 12500.</summary>
    private static double? ParseNumber(string? s)
    {
        if (s is null) return null;
        var digits = NumberChars().Replace(s, "");
        if (digits.Length == 0 || digits.Length > 20) return null;
        // one separator followed by exactly three digits is a thousands separator; otherwise the last one is decimal
        var lastSep = digits.LastIndexOfAny(['.', ',']);
        if (lastSep >= 0)
        {
            var decimals = digits.Length - lastSep - 1;
            var seps = digits.Count(c => c is '.' or ',');
            digits = decimals == 3 || seps > 1 && decimals != 2 && decimals != 1
                ? digits.Replace(".", "", StringComparison.Ordinal).Replace(",", "", StringComparison.Ordinal)
                : digits[..lastSep].Replace(".", "", StringComparison.Ordinal).Replace(",", "", StringComparison.Ordinal) + "." + digits[(lastSep + 1)..];
        }
        return double.TryParse(digits, NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v) ? v : null;
    }

    internal static FuelType? ParseFuel(string s)
    {
        var t = s.ToLowerInvariant();
        if (t.Contains("plug", StringComparison.Ordinal) || t.Contains("phev", StringComparison.Ordinal)) return FuelType.PluginHybrid;
        if (t.Contains("hybrid", StringComparison.Ordinal) || t == "hev") return FuelType.Hybrid;
        if (t.Contains("electr", StringComparison.Ordinal) || t is "ev" or "bev" or "elektro") return FuelType.Electric;
        if (t.Contains("diesel", StringComparison.Ordinal)) return FuelType.Diesel;
        if (t.Contains("lpg", StringComparison.Ordinal) || t.Contains("autogas", StringComparison.Ordinal) || t.Contains("cng", StringComparison.Ordinal)) return FuelType.Lpg;
        if (t.Contains("petrol", StringComparison.Ordinal) || t.Contains("gasoline", StringComparison.Ordinal) || t.Contains("benzin", StringComparison.Ordinal) || t == "gas") return FuelType.Petrol;
        return null;
    }

    internal static Transmission? ParseTransmission(string s)
    {
        var t = s.ToLowerInvariant();
        if (t.StartsWith("auto", StringComparison.Ordinal) || t is "at" or "dsg" or "cvt" or "semi-automatic") return Transmission.Automatic;
        if (t.StartsWith("man", StringComparison.Ordinal) || t.StartsWith("schalt", StringComparison.Ordinal) || t is "mt") return Transmission.Manual;
        return null;
    }

    internal static BodyType? ParseBody(string s)
    {
        var t = s.ToLowerInvariant();
        if (t.Contains("suv", StringComparison.Ordinal) || t.Contains("crossover", StringComparison.Ordinal) || t.Contains("4x4", StringComparison.Ordinal) || t.Contains("offroad", StringComparison.Ordinal)) return BodyType.Suv;
        if (t.Contains("hatch", StringComparison.Ordinal) || t.Contains("kleinwagen", StringComparison.Ordinal)) return BodyType.Hatchback;
        if (t.Contains("estate", StringComparison.Ordinal) || t.Contains("wagon", StringComparison.Ordinal) || t.Contains("kombi", StringComparison.Ordinal) || t.Contains("touring", StringComparison.Ordinal) || t.Contains("avant", StringComparison.Ordinal)) return BodyType.Estate;
        if (t.Contains("sedan", StringComparison.Ordinal) || t.Contains("saloon", StringComparison.Ordinal) || t.Contains("limousine", StringComparison.Ordinal)) return BodyType.Sedan;
        if (t.Contains("coup", StringComparison.Ordinal)) return BodyType.Coupe;
        if (t.Contains("convertible", StringComparison.Ordinal) || t.Contains("cabrio", StringComparison.Ordinal) || t.Contains("roadster", StringComparison.Ordinal)) return BodyType.Convertible;
        if (t.Contains("van", StringComparison.Ordinal) || t.Contains("mpv", StringComparison.Ordinal) || t.Contains("minivan", StringComparison.Ordinal)) return BodyType.Minivan;
        if (t.Contains("pick", StringComparison.Ordinal) || t.Contains("truck", StringComparison.Ordinal)) return BodyType.Pickup;
        return null;
    }

    [GeneratedRegex(@"[^a-z0-9]+")]
    private static partial Regex NonWord();

    [GeneratedRegex(@"(19|20)\d\d")]
    private static partial Regex FourDigits();

    [GeneratedRegex(@"[^0-9.,\-]")]
    private static partial Regex NumberChars();
}
