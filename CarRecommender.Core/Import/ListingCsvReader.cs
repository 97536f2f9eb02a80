using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using CarRecommender.Core.Domain;
using CarRecommender.Core.Features;
using CsvHelper;
using CsvHelper.Configuration;

namespace CarRecommender.Core.Import;

/// <summary>
/// Reads a catalogue CSV into listings, as real dealer feeds and marketplace exports come: columns matched by their
/// usual names in English, German, French and Italian unless mapped explicitly; fuel, gearbox and body names in those
/// languages mapped to our categories; a missing or unrecognised body inferred from the make/model reference
/// (<see cref="CarReference"/>) and otherwise stored as Unknown, like a missing fuel, gearbox, seller or power — never
/// guessed, never a reason to reject. The mileage unit is decided from the header, else from the data
/// (<see cref="Survey"/>), and reported with its evidence; prices keep their currency and are converted to euros for
/// comparison. Columns we have no field for are kept as the listing's attributes. Only rows that are truly unusable
/// (no make, model, year or price; a mileage that is not a number) are rejected, each with its line and reason; a bad
/// row never stops the import and is never half-read.
/// </summary>
public sealed partial class ListingCsvReader
{
    public const int MaxRejectionsReported = 200;
    /// <summary>Rejected rows kept with their raw text for the download (the count is always complete).</summary>
    public const int MaxRejectionsKept = 10_000;
    private const int MaxAttributes = 24;

    // Per year of age, the median mileage of a used-car file: km files run 10,000–20,000, mile files 5,000–9,000 (the
    // same driving, ÷ 1.609). Below the first bound the data says miles, above the second km; between them the other
    // evidence decides (an mpg column or a GBP/USD price says miles), else the nearer side of the geometric middle.
    private const double MilesBelowPerYear = 6_000, KmAbovePerYear = 9_500;
    private static readonly double MiddlePerYear = Math.Sqrt(MilesBelowPerYear * KmAbovePerYear);

    private static readonly (ImportField Field, string[] Names)[] Synonyms =
    [
        (ImportField.ExternalId, ["id", "external_id", "listing_id", "ad_id", "offer_id", "stock_id", "stock_number", "vin", "reference", "anzeigen_id", "inserat_id", "annonce_id", "id_annuncio"]),
        (ImportField.Make, ["make", "brand", "manufacturer", "marke", "hersteller", "marque", "marca", "fabricant"]),
        (ImportField.Model, ["model", "modell", "model_name", "modele", "modello", "modelo", "variant"]),
        (ImportField.Year, ["year", "model_year", "registration", "first_registration", "registration_year", "reg_year", "erstzulassung", "baujahr", "jahr",
            "year_of_manufacture", "annee", "annee_modele", "mise_en_circulation", "anno", "immatricolazione", "anno_immatricolazione"]),
        (ImportField.Price, ["price", "asking_price", "preis", "verkaufspreis", "prix", "prezzo", "precio", "price_in_euro"]),
        (ImportField.Mileage, ["mileage", "km", "kilometers", "kilometres", "odometer", "kilometerstand", "laufleistung", "km_stand",
            "kilometrage", "chilometraggio", "chilometri", "miles", "odometer_miles"]),
        (ImportField.Fuel, ["fuel", "fuel_type", "fueltype", "kraftstoff", "kraftstoffart", "treibstoff", "energy", "energie", "carburant",
            "carburante", "alimentazione", "combustible"]),
        (ImportField.Transmission, ["transmission", "gearbox", "gear", "getriebe", "getriebeart", "schaltung", "transmission_type", "boite",
            "boite_de_vitesse", "boite_de_vitesses", "cambio"]),
        (ImportField.Body, ["body", "body_type", "bodytype", "body_style", "type", "karosserie", "karosserieform", "fahrzeugtyp", "vehicle_type",
            "carrosserie", "carrozzeria", "tipo"]),
        (ImportField.PowerKw, ["power_kw", "kw", "power", "leistung_kw", "leistung", "puissance_kw", "potenza_kw"]),
        (ImportField.PowerHp, ["power_hp", "hp", "horsepower", "ps", "bhp", "leistung_ps", "puissance", "puissance_ch", "ch", "cv", "potenza", "potenza_cv"]),
        (ImportField.Colour, ["colour", "color", "farbe", "aussenfarbe", "couleur", "colore", "paint"]),
        (ImportField.SellerType, ["seller_type", "seller", "anbieter", "anbietertyp", "verkaufer", "vendeur", "type_vendeur", "venditore"]),
        (ImportField.City, ["city", "location", "town", "ort", "stadt", "ville", "citta", "localita"]),
        (ImportField.Latitude, ["lat", "latitude"]),
        (ImportField.Longitude, ["lon", "lng", "longitude"]),
        (ImportField.Currency, ["currency", "wahrung", "devise", "valuta"]),
        // who sells it: the per-seller cap of recommendation lists counts by it
        (ImportField.SellerId, ["seller_id", "sellerid", "dealer_id", "dealerid", "dealer", "dealer_name", "seller_name", "haendler", "handler",
            "handler_id", "anbieter_id", "concessionnaire", "concessionario"]),
    ];

    private readonly Dictionary<ImportField, int> _columns = [];
    private readonly List<string> _warnings = [];
    private readonly List<string> _decisions = [];
    private readonly List<ImportRejection> _rejections = [];
    private readonly Dictionary<string, int> _keysSeen = [];
    private readonly Dictionary<string, long> _counts = [];
    private readonly Dictionary<string, Dictionary<string, long>> _unknownValues = [];
    private readonly DateTimeOffset _now;
    private readonly ImportOptions _options;
    private readonly CurrencyRates _rates;
    private string[] _header = [];
    private string[] _attributeKeys = [];
    private MileageUnit? _unit;
    private string? _unitReason;
    private string? _mileageHeader;

    public ListingCsvReader(DateTimeOffset now, ImportOptions? options = null, CurrencyRates? rates = null)
    {
        _now = now;
        _options = options ?? new ImportOptions();
        _rates = rates ?? new CurrencyRates();
    }

    public long RowsRead { get; private set; }
    public long Rejected { get; private set; }
    /// <summary>Every rejected row kept (up to <see cref="MaxRejectionsKept"/>, the count is always complete), with its raw text.</summary>
    public IReadOnlyList<ImportRejection> Rejections => _rejections;
    public IReadOnlyList<string> Warnings => _warnings;
    public Dictionary<string, string> Mapping { get; } = [];
    public MileageUnit? Unit => _unit;
    public string? UnitReason => _unitReason;

    /// <summary>
    /// Parses <c>column=field</c> overrides (e.g. <c>Hersteller=make</c>); the field may be <c>mileage_miles</c> or
    /// <c>mileage_km</c>. Returns an error message for a malformed one.
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
            if (!field.Equals("mileagemiles", StringComparison.OrdinalIgnoreCase) && !field.Equals("mileagekm", StringComparison.OrdinalIgnoreCase)
                && !Enum.TryParse<ImportField>(field, true, out _))
                return $"'{parts[1]}' is not a field: use {string.Join(", ", Enum.GetNames<ImportField>())}, mileage_km or mileage_miles";
            result[parts[0]] = parts[1];
        }
        return null;
    }

    /// <summary>
    /// A first pass over the file that decides the mileage unit from the data when the header does not say: the median
    /// mileage per year of age (age from the file's newest model year, so an old export is not mistaken for low
    /// mileage), with an mpg column and the currency as further evidence. Call it before <see cref="Read"/> on a second
    /// reader of the same file; without it, an ambiguous header is read as km and the report says so.
    /// </summary>
    public void Survey(TextReader text)
    {
        using var csv = Open(text);
        if (!csv.Read() || !csv.ReadHeader() || csv.HeaderRecord is not { Length: > 0 } header) return;
        var columns = MatchColumns(header, _options.Map, out var explicitUnit, out _);
        if (_options.Units is not null || explicitUnit is not null) return;
        if (!columns.TryGetValue(ImportField.Mileage, out var mileageAt) || !columns.TryGetValue(ImportField.Year, out var yearAt)) return;
        if (UnitFromHeader(header[mileageAt]) is not null) return;
        var rows = new List<(int Year, double Mileage)>();
        try
        {
            while (csv.Read())
            {
                if (ParseYear(Clean(csv.GetField(yearAt))) is { } y && y >= 1950 && y <= _now.Year + 1
                    && ParseNumber(Clean(csv.GetField(mileageAt))) is { } m) rows.Add((y, m));
            }
        }
        catch (CsvHelperException)
        {
            // the real pass rejects the broken row; the evidence gathered so far stands
        }
        var hasMpg = header.Select(Normalise).Any(h => h.Contains("mpg", StringComparison.Ordinal) || h.Contains("miles_per_gallon", StringComparison.Ordinal));
        (_unit, _unitReason) = DecideFromData(header[mileageAt], rows, hasMpg, _options.Currency);
    }

    /// <summary>The unit the data says, and why (pure; see <see cref="Survey"/>).</summary>
    public static (MileageUnit Unit, string Reason) DecideFromData(string column, IReadOnlyList<(int Year, double Mileage)> rows, bool hasMpgColumn, string currency)
    {
        var hints = new List<string>();
        if (hasMpgColumn) hints.Add("an mpg column");
        if (currency.Equals("GBP", StringComparison.OrdinalIgnoreCase) || currency.Equals("USD", StringComparison.OrdinalIgnoreCase)) hints.Add($"prices in {currency.ToUpperInvariant()}");
        var hintText = hints.Count > 0 ? $" ({string.Join(" and ", hints)} point to miles)" : "";
        // used cars only: new and pre-registered ones (under 1,000) say nothing about how far cars are driven
        var used = rows.Where(r => r.Mileage >= 1_000).ToList();
        if (used.Count < 20)
        {
            var unit = hints.Count > 0 ? MileageUnit.Miles : MileageUnit.Km;
            return (unit, $"column '{column}' does not name its unit and only {used.Count} rows show a mileage; read as {Name(unit)}{hintText}");
        }
        var newest = used.Max(r => r.Year);
        var perYear = used.Select(r => r.Mileage / (newest - r.Year + 0.5)).Order().ToList();
        var median = perYear[perYear.Count / 2];
        var evidence = $"column '{column}' does not name its unit; the median mileage per year of age is {median:N0} across {used.Count:N0} used cars "
            + $"(age from the newest model year, {newest})";
        if (median < MilesBelowPerYear)
            return (MileageUnit.Miles, $"{evidence}: below {MilesBelowPerYear:N0}, which only miles give{hintText}");
        if (median > KmAbovePerYear)
            return (MileageUnit.Km, $"{evidence}: above {KmAbovePerYear:N0}, which only km give{(hints.Count > 0 ? $", although {string.Join(" and ", hints)} point to miles" : "")}");
        if (hints.Count > 0)
            return (MileageUnit.Miles, $"{evidence}: between {MilesBelowPerYear:N0} and {KmAbovePerYear:N0}, where either unit is plausible; {string.Join(" and ", hints)} {(hints.Count > 1 ? "decide" : "decides")}: miles");
        var guess = median < MiddlePerYear ? MileageUnit.Miles : MileageUnit.Km;
        return (guess, $"{evidence}: between {MilesBelowPerYear:N0} and {KmAbovePerYear:N0}, where either unit is plausible, and nothing else says; nearer to {Name(guess)}. Check it, or pass --units");
    }

    /// <summary>Reads every valid row. Consumers must enumerate to the end for the counts to be complete.</summary>
    public IEnumerable<Listing> Read(TextReader text)
    {
        using var csv = Open(text);
        if (!csv.Read() || !csv.ReadHeader() || csv.HeaderRecord is not { Length: > 0 } header)
        {
            _warnings.Add("The file is empty or has no header row.");
            yield break;
        }
        _header = header;
        var matched = MatchColumns(header, _options.Map, out var explicitUnit, out var attributes);
        foreach (var (field, i) in matched) _columns[field] = i;
        _attributeKeys = attributes;
        var missing = new[] { ImportField.Make, ImportField.Model, ImportField.Year, ImportField.Price, ImportField.Mileage }
            .Where(f => !_columns.ContainsKey(f)).ToList();
        if (missing.Count > 0)
        {
            _warnings.Add($"Required columns not found: {string.Join(", ", missing)}. Map them with column=field.");
            yield break;
        }
        DecideUnit(header[_columns[ImportField.Mileage]], explicitUnit);
        DescribeMapping();

        while (true)
        {
            bool more;
            try
            {
                more = csv.Read();
            }
            catch (CsvHelperException ex)
            {
                Reject(csv.Parser.RawRow, "unreadable row: " + ex.GetType().Name, SafeRaw(csv));
                Summarise();
                yield break;
            }
            if (!more) break;
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
            if (listing is null) Reject(line, error ?? "invalid row", SafeRaw(csv));
            else yield return listing;
        }
        Summarise();
    }

    public ImportReport Report(long imported) =>
        new(RowsRead, imported, Rejected, Mapping, _rejections.Take(MaxRejectionsReported).ToList(), _warnings)
        {
            MileageUnit = _unit is { } u ? Name(u) : null,
            MileageUnitReason = _unitReason,
            Currency = _options.Currency.ToUpperInvariant(),
            Decisions = _decisions,
        };

    private static CsvReader Open(TextReader text) => new(text, new CsvConfiguration(CultureInfo.InvariantCulture)
    {
        DetectDelimiter = true,
        DetectDelimiterValues = [",", ";", "\t", "|"],
        BadDataFound = null,
        MissingFieldFound = null,
        TrimOptions = TrimOptions.Trim,
        IgnoreBlankLines = true,
        MaxFieldSize = 10_000,
    });

    private static string? SafeRaw(CsvReader csv)
    {
        var raw = csv.Parser.RawRecord;
        if (string.IsNullOrEmpty(raw)) return null;
        raw = raw.TrimEnd('\r', '\n');
        return raw.Length > 2_000 ? raw[..2_000] : raw;
    }

    private void Reject(long line, string reason, string? raw)
    {
        Rejected++;
        if (_rejections.Count < MaxRejectionsKept) _rejections.Add(new ImportRejection(line, reason, raw));
    }

    private void Count(string key) => _counts[key] = _counts.GetValueOrDefault(key) + 1;

    private void CountUnknown(string attribute, string value)
    {
        if (!_unknownValues.TryGetValue(attribute, out var values)) _unknownValues[attribute] = values = [];
        if (values.Count < 50 || values.ContainsKey(value)) values[value] = values.GetValueOrDefault(value) + 1;
    }

    private static string Name(MileageUnit unit) => unit == MileageUnit.Miles ? "miles" : "km";

    /// <summary>"Kilometerstand (km)" says km, "Mileage (miles)" says miles, "mileage" or "odometer" says nothing.</summary>
    private static MileageUnit? UnitFromHeader(string header)
    {
        var words = Normalise(header).Split('_', StringSplitOptions.RemoveEmptyEntries);
        if (words.Any(w => w is "mi" or "miles" or "mile" or "meilen" or "milles")) return MileageUnit.Miles;
        if (words.Any(w => w is "km" or "kms" || w.StartsWith("kilomet", StringComparison.Ordinal) || w.StartsWith("chilomet", StringComparison.Ordinal))) return MileageUnit.Km;
        return null;
    }

    private void DecideUnit(string column, MileageUnit? explicitUnit)
    {
        _mileageHeader = column;
        if (_options.Units is { } forced) (_unit, _unitReason) = (forced, $"--units {Name(forced)} given");
        else if (explicitUnit is { } mapped) (_unit, _unitReason) = (mapped, $"mapped as mileage_{Name(mapped)}");
        else if (UnitFromHeader(column) is { } said) (_unit, _unitReason) = (said, $"column '{column}' says {Name(said)}");
        else if (_unit is null)
            (_unit, _unitReason) = (MileageUnit.Km, $"column '{column}' does not name its unit and the data was not surveyed; read as km");
        if (_unit == MileageUnit.Miles) _warnings.Add($"Mileage is in miles ({_unitReason}): converted to km (× 1.609344).");
        _decisions.Add($"mileage: {Name(_unit!.Value)} — {_unitReason}");
    }

    private Dictionary<ImportField, int> MatchColumns(string[] header, IReadOnlyDictionary<string, string> map, out MileageUnit? explicitUnit, out string[] attributeKeys)
    {
        var columns = new Dictionary<ImportField, int>();
        explicitUnit = null;
        var normalised = header.Select(Normalise).ToArray();
        for (var i = 0; i < header.Length; i++)
        {
            if (!map.TryGetValue(header[i], out var target)) continue;
            var key = target.Replace("_", "", StringComparison.Ordinal);
            if (key.Equals("mileagemiles", StringComparison.OrdinalIgnoreCase) || key.Equals("mileagekm", StringComparison.OrdinalIgnoreCase))
            {
                columns[ImportField.Mileage] = i;
                explicitUnit = key.EndsWith("miles", StringComparison.OrdinalIgnoreCase) ? MileageUnit.Miles : MileageUnit.Km;
            }
            else columns[Enum.Parse<ImportField>(key, true)] = i;
        }
        // whole names first ("price"), then names with a unit or qualifier after them ("price_gbp", "mileage_km", "leistung_ps")
        foreach (var exact in new[] { true, false })
            foreach (var (field, names) in Synonyms)
            {
                if (columns.ContainsKey(field)) continue;
                for (var i = 0; i < header.Length; i++)
                {
                    if (columns.ContainsValue(i)) continue;
                    var h = normalised[i];
                    if (!names.Any(n => exact ? h == n : h.StartsWith(n + "_", StringComparison.Ordinal))) continue;
                    columns[field] = i;
                    break;
                }
            }
        attributeKeys = new string[header.Length];
        var taken = 0;
        for (var i = 0; i < header.Length; i++)
        {
            if (columns.ContainsValue(i) || normalised[i].Length == 0 || taken >= MaxAttributes) continue;
            attributeKeys[i] = normalised[i];
            taken++;
        }
        return columns;
    }

    private void DescribeMapping()
    {
        foreach (var (field, i) in _columns.OrderBy(c => c.Value))
            Mapping[_header[i]] = field == ImportField.Mileage && _unit == MileageUnit.Miles ? "mileage (miles → km)" : field.ToString();
        for (var i = 0; i < _header.Length; i++)
            if (_attributeKeys[i] is { } key) Mapping[_header[i]] = $"attribute '{key}'";
        if (!_columns.ContainsKey(ImportField.ExternalId))
            _decisions.Add("key: no id column, so each row's key is derived from its make, model, year, mileage and other non-price columns "
                + "(a re-import finds the same car again when those did not change; a car whose mileage is corrected counts as a new one)");
        if (!_columns.ContainsKey(ImportField.City) && !_columns.ContainsKey(ImportField.Latitude))
            _warnings.Add("No city or coordinates: the cars' location is stored as unknown (no distance filter or \"near you\" for them).");
        var currency = _options.Currency.ToUpperInvariant();
        if (_columns.ContainsKey(ImportField.Currency)) _decisions.Add($"currency: from the currency column, {currency} where it is empty");
        else _decisions.Add(currency == "EUR" ? "currency: EUR (no currency column; pass --currency for another)" : $"currency: {currency} (--currency), converted to EUR at {_rates.Effective.GetValueOrDefault(currency)} for comparison");
    }

    private void Summarise()
    {
        long N(string k) => _counts.GetValueOrDefault(k);
        var read = RowsRead - Rejected;
        string Unknowns(string attribute) => _unknownValues.TryGetValue(attribute, out var v) && v.Count > 0
            ? " (" + string.Join(", ", v.OrderByDescending(x => x.Value).Take(5).Select(x => $"'{x.Key}' {x.Value:N0}")) + ")" : "";
        _decisions.Add($"body: {N("body.file"):N0} from the file, {N("body.reference"):N0} inferred from the make/model reference ({CarReference.ModelCount:N0} models), "
            + $"{N("body.unknown"):N0} unknown{Unknowns("body")}");
        _decisions.Add($"fuel: {read - N("fuel.unknown"):N0} recognised, {N("fuel.unknown"):N0} unknown{Unknowns("fuel")}");
        _decisions.Add($"transmission: {read - N("transmission.unknown"):N0} recognised, {N("transmission.unknown"):N0} unknown{Unknowns("transmission")}");
        _decisions.Add($"power: {read - N("power.unknown"):N0} given, {N("power.unknown"):N0} unknown");
        _decisions.Add($"seller: {read - N("seller.unknown"):N0} given, {N("seller.unknown"):N0} unknown");
        _decisions.Add($"location: {read - N("location.unknown"):N0} placed (coordinates or a known city), {N("location.unknown"):N0} unknown");
        if (N("make.unknown") > 0) _decisions.Add($"make: {N("make.unknown"):N0} rows of makes the reference does not know (no market segment){Unknowns("make")}");
        if (N("key.repeat") > 0)
            _warnings.Add(_columns.ContainsKey(ImportField.ExternalId)
                ? $"{N("key.repeat"):N0} rows repeat an id of an earlier row: the last one counts."
                : $"{N("key.repeat"):N0} rows are identical to an earlier one apart from the price: each is kept as a car of its own.");
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
        var canonicalMake = CarReference.CanonicalMake(make);
        if (canonicalMake is null) { Count("make.unknown"); CountUnknown("make", make); }
        make = canonicalMake ?? CultureInfo.InvariantCulture.TextInfo.ToTitleCase(make.ToLowerInvariant());
        var reference = CarReference.FindModel(make, model);
        // the reference's spelling only where the whole name is the model ("golf" → "Golf"); "Golf GTI" stays as written
        if (reference is not null && CarReference.Key(reference.Model) == CarReference.Key(model)) model = reference.Model;

        var year = ParseYear(Get(ImportField.Year));
        if (year is null || year < 1900 || year > _now.Year + 1) { error = $"year '{Get(ImportField.Year)}' is not a year between 1900 and {_now.Year + 1}"; return null; }
        var amount = ParseNumber(Get(ImportField.Price));
        if (amount is null || amount <= 0 || amount > 100_000_000) { error = $"price '{Get(ImportField.Price)}' is not a positive amount"; return null; }
        var currency = (Get(ImportField.Currency) ?? _options.Currency).Trim().ToUpperInvariant();
        if (currency == "€") currency = "EUR";
        else if (currency == "£") currency = "GBP";
        if (_rates.ToEuros(amount.Value, currency) is not { } euros) { error = $"currency '{currency}' has no rate in Currencies:Rates"; return null; }
        if (euros > 10_000_000) { error = $"price {euros:N0} EUR is over 10,000,000"; return null; }
        var mileage = ParseNumber(Get(ImportField.Mileage));
        if (mileage is null || mileage < 0) { error = $"mileage '{Get(ImportField.Mileage)}' is not a number ≥ 0"; return null; }
        if (_unit == MileageUnit.Miles) mileage *= 1.609344;
        if (mileage > 5_000_000) { error = "mileage is over 5,000,000 km"; return null; }

        var fuelText = Get(ImportField.Fuel);
        var fuel = fuelText is null ? FuelType.Unknown : ParseFuel(fuelText) ?? FuelType.Unknown;
        if (fuel == FuelType.Unknown) { Count("fuel.unknown"); CountUnknown("fuel", fuelText ?? "(empty)"); }

        var transmissionText = Get(ImportField.Transmission);
        var transmission = transmissionText is null ? Transmission.Unknown : ParseTransmission(transmissionText) ?? Transmission.Unknown;
        if (transmission == Transmission.Unknown) { Count("transmission.unknown"); CountUnknown("transmission", transmissionText ?? "(empty)"); }

        var bodyText = Get(ImportField.Body);
        BodyType body;
        if (bodyText is not null && ParseBody(bodyText) is { } b) { body = b; Count("body.file"); }
        else if (reference is not null) { body = reference.Body; Count("body.reference"); }
        else { body = BodyType.Unknown; Count("body.unknown"); CountUnknown("body", bodyText ?? $"{make} {model}"); }

        int? power = null;
        if (ParsePowerKw(Get(ImportField.PowerKw), columnInKw: true) is { } kw) power = (int)Math.Round(kw);
        else if (ParsePowerKw(Get(ImportField.PowerHp), columnInKw: false) is { } hpInKw) power = (int)Math.Round(hpInKw);
        if (power is <= 0 or > 2_000) power = null;
        if (power is null) Count("power.unknown");

        var cityName = Get(ImportField.City);
        var city = cityName is null ? null : CarCatalogue.Cities.FirstOrDefault(c => c.Name.Equals(cityName, StringComparison.OrdinalIgnoreCase));
        // the position from the row's coordinates, else from a city we know; otherwise unknown (never a made-up place)
        double? lat = null, lon = null;
        if (ParseNumber(Get(ImportField.Latitude)) is { } la && ParseNumber(Get(ImportField.Longitude)) is { } lo)
        {
            if (la is < -90 or > 90 || lo is < -180 or > 180) { error = "coordinates are out of range"; return null; }
            (lat, lon) = (la, lo);
        }
        else if (city is not null) (lat, lon) = (city.Latitude, city.Longitude);
        if (lat is null) Count("location.unknown");

        var seller = ParseSeller(Get(ImportField.SellerType));
        if (seller == SellerType.Unknown) Count("seller.unknown");
        var colour = Get(ImportField.Colour)?.ToLowerInvariant() ?? "unknown";
        if (colour.Length > 30) colour = colour[..30];

        var listing = new Listing
        {
            Make = make,
            Model = model,
            Year = year.Value,
            Price = euros,
            AskingPrice = (int)Math.Round(amount.Value),
            Currency = currency,
            MileageKm = (int)Math.Round(mileage.Value),
            Fuel = fuel,
            Transmission = transmission,
            BodyType = body,
            PowerKw = power,
            Colour = colour,
            SellerType = seller,
            SellerId = Get(ImportField.SellerId) is { } sellerId ? sellerId.Length > 120 ? sellerId[..120] : sellerId : null,
            City = city?.Name ?? (cityName is null ? null : cityName.Length > 60 ? cityName[..60] : cityName),
            Latitude = lat,
            Longitude = lon,
            Status = ListingStatus.Active,
            CreatedAt = _now,
            EncoderVersion = ContentEncoder.Version,
            Source = _options.Source,
            ExternalId = KeyOf(csv, Get(ImportField.ExternalId)),
            Attributes = AttributesOf(csv),
        };
        listing.ContentVector = new Pgvector.Vector(ContentEncoder.Encode(listing));
        return listing;
    }

    /// <summary>The id column's value, or a stable key derived from every non-price column; a repeat gets "#2", "#3"….</summary>
    private string KeyOf(CsvReader csv, string? id)
    {
        string key;
        if (id is not null) key = id.Length > 110 ? id[..110] : id;
        else
        {
            var text = new StringBuilder();
            for (var i = 0; i < _header.Length; i++)
            {
                if (i == _columns[ImportField.Price] || _columns.TryGetValue(ImportField.Currency, out var c) && c == i) continue;
                text.Append(Clean(csv.GetField(i))?.ToLowerInvariant()).Append('\u001f');
            }
            key = "k" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())), 0, 12).ToLowerInvariant();
        }
        var seen = _keysSeen.GetValueOrDefault(key);
        _keysSeen[key] = seen + 1;
        if (seen == 0) return key;
        Count("key.repeat");
        // an id column's repeat is the same car again (the staging keeps the last); a derived key's repeat is another car
        return id is not null ? key : $"{key}#{seen + 1}";
    }

    private string? AttributesOf(CsvReader csv)
    {
        Dictionary<string, object>? attributes = null;
        for (var i = 0; i < _attributeKeys.Length; i++)
        {
            if (_attributeKeys[i] is not { } key || Clean(csv.GetField(i)) is not { } value) continue;
            attributes ??= [];
            attributes[key] = double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number)
                ? number : value.Length > 200 ? value[..200] : value;
        }
        return attributes is null ? null : JsonSerializer.Serialize(attributes);
    }

    private static string? Clean(string? s)
    {
        if (string.IsNullOrWhiteSpace(s)) return null;
        s = s.Trim();
        // control characters and undecodable bytes (U+FFFD) never reach the database
        var kept = new string(s.Where(c => !char.IsControl(c) && c != '\uFFFD').ToArray());
        return kept.Length > 0 ? kept : null;
    }

    /// <summary>"Preis (€)" → "preis", "Modèle" → "modele", "engineSize" → "enginesize", "Leistung (PS)" → "leistung_ps".</summary>
    private static string Normalise(string header)
    {
        var plain = new StringBuilder(header.Length);
        foreach (var c in header.Trim().Normalize(NormalizationForm.FormD))
            if (CharUnicodeInfo.GetUnicodeCategory(c) != UnicodeCategory.NonSpacingMark) plain.Append(c);
        var text = plain.ToString().Replace("ß", "ss", StringComparison.Ordinal).ToLowerInvariant();
        return NonWord().Replace(text, "_").Trim('_');
    }

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

    /// <summary>
    /// Power in kW from "110 kW (150 PS)" (marketplaces write both: the kW figure counts), "150 PS", "148 bhp", "110kW";
    /// a bare number is in the column's unit (kW, or hp converted at 0.7355 kW per hp).
    /// </summary>
    public static double? ParsePowerKw(string? s, bool columnInKw)
    {
        if (s is null) return null;
        double? kw = null, hp = null;
        foreach (Match m in PowerWithUnit().Matches(s))
        {
            if (ParseNumber(m.Groups["value"].Value) is not { } value) continue;
            if (m.Groups["unit"].Value.Equals("kw", StringComparison.OrdinalIgnoreCase)) kw ??= value;
            else hp ??= value;
        }
        if (kw is not null) return kw;
        if (hp is not null) return hp * 0.7355;
        return ParseNumber(s) is { } bare ? columnInKw ? bare : bare * 0.7355 : null;
    }

    private static bool Has(string text, params string[] words) => words.Any(w => text.Contains(w, StringComparison.Ordinal));

    /// <summary>Fuel names in English, German, French and Italian; null for what is none of ours ("Other", "-/- (Fuel)", hydrogen).</summary>
    public static FuelType? ParseFuel(string s)
    {
        var t = Normalise(s).Replace('_', ' ');
        var electric = Has(t, "electr", "elektr", "elettric", "batter") || t is "ev" or "bev" or "e";
        var combustion = Has(t, "petrol", "gasoline", "benzin", "essence", "benzina", "diesel", "gazole", "gasolio", "super");
        if (Has(t, "plug", "phev", "rechargeable", "ricaricabile", "steckdose")) return FuelType.PluginHybrid;
        if (Has(t, "hybrid", "hybride", "ibrid", "hev", "mhev") || electric && combustion) return FuelType.Hybrid;
        if (electric) return FuelType.Electric;
        if (Has(t, "diesel", "gazole", "gasolio", "gasoil", "tdi", "cdi", "hdi", "dci")) return FuelType.Diesel;
        if (Has(t, "lpg", "autogas", "gpl", "cng", "erdgas", "gnv", "metano", "natural gas", "flussiggas")) return FuelType.Lpg;
        if (Has(t, "petrol", "gasoline", "benzin", "essence", "benzina", "super", "unleaded", "bleifrei", "sp95", "sp98", "e10") || t == "gas") return FuelType.Petrol;
        return null;
    }

    /// <summary>Gearbox names in the four languages; an automated manual ("Semi-Auto", DSG) counts as automatic (no clutch pedal).</summary>
    public static Transmission? ParseTransmission(string s)
    {
        var t = Normalise(s).Replace('_', ' ');
        if (Has(t, "semi", "halbautomat", "sequen", "robot", "dsg", "cvt", "tiptronic", "steptronic", "dct", "edc", "pdk")) return Transmission.Automatic;
        if (t.StartsWith("auto", StringComparison.Ordinal) || t is "at" or "a") return Transmission.Automatic;
        if (t.StartsWith("man", StringComparison.Ordinal) || Has(t, "schalt", "mecani", "meccani", "handschalt") || t is "mt" or "m" or "stick") return Transmission.Manual;
        return null;
    }

    /// <summary>Body names in the four languages ("Kombi", "Limousine", "Kleinwagen", "Berline", "Break", "Citadine", "Berlina"…).</summary>
    public static BodyType? ParseBody(string s)
    {
        var t = Normalise(s).Replace('_', ' ');
        if (Has(t, "suv", "crossover", "4x4", "offroad", "off road", "gelande", "tout terrain", "fuoristrada", "sport utility")) return BodyType.Suv;
        if (Has(t, "pick", "truck")) return BodyType.Pickup;
        if (Has(t, "cabrio", "convertible", "roadster", "decapotable", "spider", "spyder")) return BodyType.Convertible;
        if (Has(t, "coup", "sportwagen")) return BodyType.Coupe;
        if (Has(t, "estate", "wagon", "kombi", "touring", "avant", "break", "familiale", "station", "variant", "tourer", "shooting brake", "caravan") || t == "sw") return BodyType.Estate;
        if (Has(t, "minivan", "mpv", "van", "monospace", "monovolume", "kleinbus", "bus", "multivan", "people carrier")) return BodyType.Minivan;
        if (Has(t, "hatch", "kleinwagen", "citadine", "compact", "kompakt", "utilitaria", "city car", "small car", "supermini")) return BodyType.Hatchback;
        if (Has(t, "sedan", "saloon", "limousine", "berline", "berlina", "stufenheck", "notchback")) return BodyType.Sedan;
        return null;
    }

    /// <summary>"Dealer", "Händler", "gewerblich", "professionnel", "concessionario" → dealer; "Private", "privat", "particulier", "privato" → private.</summary>
    public static SellerType ParseSeller(string? s)
    {
        if (s is null) return SellerType.Unknown;
        var t = Normalise(s).Replace('_', ' ');
        if (Has(t, "priv", "particulier")) return SellerType.Private;
        if (Has(t, "dealer", "handler", "gewerb", "profession", "concession", "commerc", "trade", "garage", "autohaus")) return SellerType.Dealer;
        return SellerType.Unknown;
    }

    [GeneratedRegex(@"[^a-z0-9]+")]
    private static partial Regex NonWord();

    [GeneratedRegex(@"(19|20)\d\d")]
    private static partial Regex FourDigits();

    [GeneratedRegex(@"(?<value>\d+(?:[.,]\d+)?)\s*(?<unit>kw|ps|bhp|hp|ch|cv)\b", RegexOptions.IgnoreCase)]
    private static partial Regex PowerWithUnit();

    [GeneratedRegex(@"[^0-9.,\-]")]
    private static partial Regex NumberChars();
}
