using System.Text.RegularExpressions;

namespace CarRecommender.Core.Import;

/// <summary>Validates the source, unit and currency of an import, for the CLI and the API alike.</summary>
public static partial class ImportOptionsParser
{
    /// <summary>Returns the problems (field → message); none means <paramref name="options"/> holds the parsed values.</summary>
    public static List<(string Field, string Message)> Parse(string? source, string? units, string? currency, CurrencyRates rates, out ImportOptions options)
    {
        var errors = new List<(string, string)>();
        options = new ImportOptions();
        if (source is not null)
        {
            if (!SourceName().IsMatch(source)) errors.Add(("source", $"'{source}' is not a source name: 1-60 letters, digits, '.', '_' or '-'"));
            else options = options with { Source = source };
        }
        if (units is not null)
        {
            if (units.Equals("km", StringComparison.OrdinalIgnoreCase)) options = options with { Units = MileageUnit.Km };
            else if (units.Equals("miles", StringComparison.OrdinalIgnoreCase) || units.Equals("mi", StringComparison.OrdinalIgnoreCase)) options = options with { Units = MileageUnit.Miles };
            else errors.Add(("units", $"'{units}' is not km or miles"));
        }
        if (currency is not null)
        {
            var code = currency.Trim().ToUpperInvariant();
            if (!rates.Effective.ContainsKey(code))
                errors.Add(("currency", $"'{currency}' has no rate: use one of {string.Join(", ", rates.Effective.Keys.Order())} or add it under Currencies:Rates"));
            else options = options with { Currency = code };
        }
        return errors;
    }

    /// <summary>A file's name made a source name, the default source of an import ("UK cars 2020.csv" → "uk-cars-2020").</summary>
    public static string SourceFromFileName(string fileName)
    {
        var name = NotInSourceName().Replace(Path.GetFileNameWithoutExtension(fileName).ToLowerInvariant(), "-").Trim('-');
        return name.Length == 0 ? "import" : name[..Math.Min(60, name.Length)];
    }

    [GeneratedRegex("[^a-z0-9._-]+")]
    private static partial Regex NotInSourceName();

    [GeneratedRegex("^[A-Za-z0-9._-]{1,60}$")]
    private static partial Regex SourceName();
}
