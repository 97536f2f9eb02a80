using System.Globalization;
using System.Text;
using CsvHelper;
using CsvHelper.Configuration;

namespace CarRecommender.Core.Domain;

/// <summary>A model in the reference: its main body style and European car segment (A–F, J, M, S).</summary>
public sealed record ReferenceModel(string Make, string Model, BodyType Body, string Segment);

/// <summary>
/// The make/model reference of the European and UK markets (<c>Reference/car-makes.csv</c>, <c>Reference/car-models.csv</c>,
/// maintained as data with their source named in their headers), merged with <see cref="CarCatalogue"/>. The importer
/// infers a missing body type from it, and the content encoder takes a make's market segment from it.
/// </summary>
public static class CarReference
{
    private static readonly Dictionary<string, (string Name, MarketSegment Segment)> Makes = LoadMakes();
    private static readonly Dictionary<(string Make, string Model), ReferenceModel> Models = LoadModels();

    /// <summary>How many models the reference knows (for the report and the tests).</summary>
    public static int ModelCount => Models.Values.Distinct().Count();

    /// <summary>The make as the reference spells it ("vw" → "Volkswagen", "MERCEDES" → "Mercedes-Benz"), or null.</summary>
    public static string? CanonicalMake(string make) => Makes.TryGetValue(Key(make), out var m) ? m.Name : null;

    /// <summary>The make's market segment, or null for a make the reference does not know (the encoder then leaves the block empty).</summary>
    public static MarketSegment? SegmentOfMake(string make) => Makes.TryGetValue(Key(make), out var m) ? m.Segment : null;

    /// <summary>
    /// The reference model a row's make and model name refer to: the whole name, else its longest leading words that
    /// name a model or an alias ("Golf Variant 2.0 TDI Highline" → Golf Variant; " C 220 d" → C-Class).
    /// </summary>
    public static ReferenceModel? FindModel(string make, string model)
    {
        if (CanonicalMake(make) is not { } canonical) return null;
        var makeKey = Key(canonical);
        var words = model.Split([' ', '-', '_', '/', '(', ')', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        for (var n = words.Length; n > 0; n--)
            if (Models.TryGetValue((makeKey, Key(string.Concat(words.Take(n)))), out var found)) return found;
        return null;
    }

    /// <summary>Lower case, letters and digits only, accents dropped: "Citroën C4 Picasso" and "citroen c4-picasso" are one key.</summary>
    public static string Key(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (var c in text.Normalize(NormalizationForm.FormD))
            if (char.IsLetterOrDigit(c)) sb.Append(char.ToLowerInvariant(c));
        return sb.ToString();
    }

    private static Dictionary<string, (string, MarketSegment)> LoadMakes()
    {
        var makes = new Dictionary<string, (string, MarketSegment)>();
        foreach (var make in CarCatalogue.Makes) makes[Key(make.Name)] = (make.Name, make.Segment);
        foreach (var row in Read("car-makes.csv"))
        {
            var name = row["make"];
            var entry = (name, Enum.Parse<MarketSegment>(row["segment"], ignoreCase: true));
            makes.TryAdd(Key(name), entry);
            foreach (var alias in Aliases(row["aliases"])) makes.TryAdd(Key(alias), makes[Key(name)]);
        }
        return makes;
    }

    private static Dictionary<(string, string), ReferenceModel> LoadModels()
    {
        var models = new Dictionary<(string, string), ReferenceModel>();
        foreach (var row in Read("car-models.csv"))
        {
            var make = CanonicalMake(row["make"]) ?? throw new InvalidDataException($"car-models.csv: make '{row["make"]}' is not in car-makes.csv");
            var model = new ReferenceModel(make, row["model"], Enum.Parse<BodyType>(row["body"], ignoreCase: true), row["segment"]);
            var makeKey = Key(make);
            foreach (var name in Aliases(row["aliases"]).Prepend(model.Model))
                if (!models.TryAdd((makeKey, Key(name)), model) && models[(makeKey, Key(name))] != model)
                    throw new InvalidDataException($"car-models.csv: '{make} {name}' names two models");
        }
        // the generator's catalogue knows every model it generates; the reference wins where both have one
        foreach (var make in CarCatalogue.Makes)
            foreach (var m in make.Models)
                models.TryAdd((Key(make.Name), Key(m.Name)), new ReferenceModel(make.Name, m.Name, m.Bodies[0], ""));
        return models;
    }

    private static IEnumerable<string> Aliases(string? aliases) =>
        string.IsNullOrWhiteSpace(aliases) ? [] : aliases.Split('|', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static List<Dictionary<string, string>> Read(string file)
    {
        using var stream = typeof(CarReference).Assembly.GetManifestResourceStream("CarRecommender.Reference." + file)
            ?? throw new InvalidOperationException($"the reference {file} is not embedded");
        using var text = new StreamReader(stream, Encoding.UTF8);
        using var csv = new CsvReader(text, new CsvConfiguration(CultureInfo.InvariantCulture) { AllowComments = true, Comment = '#', MissingFieldFound = null });
        var rows = new List<Dictionary<string, string>>();
        csv.Read();
        csv.ReadHeader();
        while (csv.Read())
            rows.Add(csv.HeaderRecord!.ToDictionary(h => h, h => csv.GetField(h) ?? ""));
        return rows;
    }
}
