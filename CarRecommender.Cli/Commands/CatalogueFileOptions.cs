using CarRecommender.Core.Import;

namespace CarRecommender.Cli.Commands;

/// <summary>The options of verbs that read a catalogue file as the importer does (--map, --units, --currency): checked and made <see cref="ImportOptions"/> once.</summary>
public static class CatalogueFileOptions
{
    /// <summary>The first problem with the options, as "--option: message", or null.</summary>
    public static string? Problem(string[] map, string? source, string? units, string? currency)
    {
        var mapError = ListingCsvReader.ParseMap(map, out _);
        if (mapError is not null) return "--map " + mapError;
        var errors = ImportOptionsParser.Parse(source, units, currency, ImportCommand.Rates(), out _);
        return errors.Count == 0 ? null : $"--{errors[0].Field}: {errors[0].Message}";
    }

    /// <summary>The reading options of valid settings (<see cref="Problem"/> said none).</summary>
    public static ImportOptions Build(string[] map, string? source, string? units, string? currency, CurrencyRates rates)
    {
        ListingCsvReader.ParseMap(map, out var mapping);
        ImportOptionsParser.Parse(source, units, currency, rates, out var options);
        return options with { Map = mapping };
    }
}
