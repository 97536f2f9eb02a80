using System.ComponentModel;
using System.Diagnostics;
using System.Text.Json;
using CarRecommender.Core.Data;
using CarRecommender.Core.Import;
using CarRecommender.Core.Pricing;
using CarRecommender.Core.Seeding;
using Spectre.Console;
using Spectre.Console.Cli;

namespace CarRecommender.Cli.Commands;

public sealed class PricingSettings : CommandSettings
{
    [CommandOption("--input <FILE>")]
    [Description("A catalogue file, read as the importer reads it (any of its layouts, languages and units)")]
    public string? Input { get; init => field = value is null ? null : CliPaths.Resolve(value); }

    [CommandOption("--generate <LISTINGS>")]
    [Description("Train on a generated catalogue of this many listings instead of a file (no database)")]
    public int? Generate { get; init; }

    [CommandOption("--map <COLUMN=FIELD>")]
    [Description("As for import: map a column the automatic matching misses, e.g. Hersteller=make (repeatable)")]
    public string[] Map { get; init; } = [];

    [CommandOption("--units <UNIT>")]
    [Description("As for import: the mileage unit, km or miles, when the header and the data should not decide")]
    public string? Units { get; init; }

    [CommandOption("--currency <CODE>")]
    [Description("As for import: the currency of the file's prices (default EUR); a currency column wins per row. Each currency is a market of its own")]
    public string? Currency { get; init; }

    [CommandOption("--folds <K>")]
    [Description("Cross-validation folds (default 5)")]
    public int Folds { get; init; } = 5;

    [CommandOption("--seed <N>")]
    [Description("Seeds the folds, the trees and --generate (default 42)")]
    public int Seed { get; init; } = 42;

    [CommandOption("--iterations <N>")]
    [Description("Boosting rounds (default 200)")]
    public int Iterations { get; init; } = 200;

    [CommandOption("--leaves <N>")]
    [Description("Leaves per tree (default 63)")]
    public int Leaves { get; init; } = 63;

    [CommandOption("--learning-rate <RATE>")]
    [Description("Shrinkage of each tree (default 0.1)")]
    public double LearningRate { get; init; } = 0.1;

    [CommandOption("--save <DIR>")]
    [Description("Write each market's trained model to DIR/price-model-<CURRENCY>.zip")]
    public string? Save { get; init; }

    [CommandOption("--json")]
    [Description("Write one JSON object to stdout instead of tables and progress")]
    public bool Json { get; init; }

    public override ValidationResult Validate()
    {
        if (Input is null == Generate is null) return ValidationResult.Error("pass --input FILE or --generate LISTINGS");
        if (Input is not null && !File.Exists(Input)) return ValidationResult.Error($"--input: no such file '{Input}'");
        if (Generate is < MarketPricing.MinimumRows) return ValidationResult.Error($"--generate needs at least {MarketPricing.MinimumRows} listings");
        if (Folds is < 2 or > 20) return ValidationResult.Error("--folds must be from 2 to 20");
        if (Iterations is < 1 or > 10_000) return ValidationResult.Error("--iterations must be from 1 to 10,000");
        if (Leaves is < 2 or > 4_096) return ValidationResult.Error("--leaves must be from 2 to 4,096");
        if (LearningRate is not (> 0 and <= 1)) return ValidationResult.Error("--learning-rate must be in (0, 1]");
        return CatalogueFileOptions.Problem(Map, null, Units, Currency) is { } problem ? ValidationResult.Error(problem) : ValidationResult.Success();
    }

    public PriceModelSettings Model => new()
    {
        Folds = Folds,
        Seed = Seed,
        Iterations = Iterations,
        Leaves = Leaves,
        LearningRate = LearningRate,
    };
}

/// <summary>
/// Trains and cross-validates the market price model on a catalogue file (or a generated catalogue): per market, the
/// model's and the median-of-similar-cars baseline's accuracy on held-out folds, and the training time.
/// </summary>
public sealed class PriceModelCommand : AsyncCommand<PricingSettings>
{
    private sealed record Catalogue(string Source, IReadOnlyList<PriceRow> Rows, long RowsRead, long Rejected, IReadOnlyList<string> Warnings, double Seconds);

    public override async Task<int> ExecuteAsync(CommandContext context, PricingSettings settings, CancellationToken cancellationToken)
    {
        var now = DateTimeOffset.UtcNow;
        var (catalogue, markets) = await RunWithProgress(settings.Json, async progress =>
        {
            var read = await ReadAsync(settings, now, progress, cancellationToken);
            if (read.Rows.Count == 0) throw new CliException($"{read.Source}: no listing to train on ({read.Rejected:N0} rows rejected)");
            return (read, await Task.Run(() => MarketPricing.Train(read.Rows, settings.Model, now, progress, cancellationToken), cancellationToken));
        });
        if (settings.Save is { } directory)
        {
            Directory.CreateDirectory(directory);
            foreach (var model in markets.Models)
            {
                await using var file = File.Create(Path.Combine(directory, $"price-model-{model.Market}.zip"));
                model.Save(file);
            }
        }
        if (settings.Json) WriteJson(catalogue, markets);
        else WriteTables(catalogue, markets, settings.Save);
        return markets.Models.Count > 0 ? 0 : 1;
    }

    private static Task<T> RunWithProgress<T>(bool quiet, Func<IProgress<LoadProgress>?, Task<T>> work) =>
        quiet ? work(null) : ProgressReporter.RunAsync(progress => work(progress));

    private static async Task<Catalogue> ReadAsync(PricingSettings s, DateTimeOffset now, IProgress<LoadProgress>? progress, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var features = new PriceFeatures();
        var rows = new List<PriceRow>();
        if (s.Generate is { } count)
        {
            await Task.Run(() =>
            {
                foreach (var listing in new CatalogueGenerator(s.Seed, now).Listings(count))
                {
                    rows.Add(features.Row(listing));
                    if (rows.Count % 10_000 == 0) { ct.ThrowIfCancellationRequested(); progress?.Report(new LoadProgress("generating", rows.Count, count)); }
                }
            }, ct);
            return new Catalogue($"generated ({count:N0} listings, seed {s.Seed})", rows, count, 0, [], clock.Elapsed.TotalSeconds);
        }

        var path = s.Input!;
        var rates = ImportCommand.Rates();
        var options = CatalogueFileOptions.Build(s.Map, null, s.Units, s.Currency, rates) with { FileName = Path.GetFileName(path) };
        using var file = await CatalogueFile.OpenAsync(path, options, rates, now, ct);
        await Task.Run(() =>
        {
            foreach (var listing in file.Listings())
            {
                rows.Add(features.Row(listing));
                if (rows.Count % 10_000 == 0) { ct.ThrowIfCancellationRequested(); progress?.Report(new LoadProgress("reading", file.Position, file.Length)); }
            }
        }, ct);
        progress?.Report(new LoadProgress("reading", file.Length, file.Length));
        var reader = file.Reader;
        string[] warnings = [.. reader.Warnings, .. file.Warning is { } w ? [w] : Array.Empty<string>()];
        return new Catalogue(Path.GetFileName(path), rows, reader.RowsRead, reader.Rejected, warnings, clock.Elapsed.TotalSeconds);
    }

    private static void WriteTables(Catalogue catalogue, MarketModels markets, string? saved)
    {
        AnsiConsole.MarkupLineInterpolated($"{catalogue.Source}: {catalogue.Rows.Count:N0} listings of {catalogue.RowsRead:N0} rows read ({catalogue.Rejected:N0} rejected) in {catalogue.Seconds:0.0} s");
        foreach (var warning in catalogue.Warnings) AnsiConsole.MarkupLineInterpolated($"[yellow]warning:[/] {warning}");
        foreach (var (market, rows) in markets.TooSmall)
            AnsiConsole.MarkupLineInterpolated($"[yellow]skipped:[/] the {market} market has {rows:N0} listings, fewer than the {MarketPricing.MinimumRows} a model needs");
        foreach (var model in markets.Models)
        {
            var info = model.Info;
            var v = info.Validation!;
            var table = new Table().Title(Markup.Escape($"{info.Market} market: {info.Rows:N0} listings, {v.Folds}-fold cross-validation"))
                .AddColumns("estimate", "rows", $"MAE ({info.Market})", "median APE", "mean APE", "fit per fold");
            table.AddRow("boosted trees", $"{v.Model.Rows:N0}", $"{v.Model.MeanAbsoluteError:N0}", $"[green]{v.Model.MedianAbsolutePercentageError:P1}[/]",
                $"{v.Model.MeanAbsolutePercentageError:P1}", $"{v.Model.FitSeconds:0.0} s");
            table.AddRow("group median", $"{v.Baseline.Rows:N0}", $"{v.Baseline.MeanAbsoluteError:N0}", $"{v.Baseline.MedianAbsolutePercentageError:P1}",
                $"{v.Baseline.MeanAbsolutePercentageError:P1}", $"{v.Baseline.FitSeconds:0.00} s");
            AnsiConsole.Write(table);
            var (low, high) = (Math.Exp(v.LogResidualLow) - 1, Math.Exp(v.LogResidualHigh) - 1);
            AnsiConsole.MarkupLineInterpolated($"median APE {v.MedianApeImprovement:P0} lower than the baseline's; final model trained on all {info.Rows:N0} listings in {info.TrainingSeconds:0.0} s; 80 % of prices lie within {low:+0%;-0%} … {high:+0%;-0%} of the estimate");
        }
        if (markets.Models.Count > 0)
            AnsiConsole.MarkupLine("boosted trees: LightGBM on log prices; group median: the median price of the same make, model and year in the training folds "
                + "(else of the model, the make, the market). Errors are on held-out folds; APE = |estimate − price| / price.");
        if (saved is not null && markets.Models.Count > 0) AnsiConsole.MarkupLineInterpolated($"models saved in {saved}");
    }

    private static void WriteJson(Catalogue catalogue, MarketModels markets)
    {
        static object Accuracy(PriceAccuracy a) => new
        {
            rows = a.Rows,
            mae = a.MeanAbsoluteError,
            medianApe = a.MedianAbsolutePercentageError,
            meanApe = a.MeanAbsolutePercentageError,
            fitSecondsPerFold = a.FitSeconds,
        };
        var document = new
        {
            source = catalogue.Source,
            rowsRead = catalogue.RowsRead,
            rejected = catalogue.Rejected,
            listings = catalogue.Rows.Count,
            readSeconds = catalogue.Seconds,
            warnings = catalogue.Warnings,
            markets = markets.Models.Select(m => new
            {
                market = m.Market,
                rows = m.Info.Rows,
                folds = m.Info.Validation!.Folds,
                model = Accuracy(m.Info.Validation.Model),
                baseline = Accuracy(m.Info.Validation.Baseline),
                medianApeImprovement = m.Info.Validation.MedianApeImprovement,
                trainingSeconds = m.Info.TrainingSeconds,
                // the interval of price / estimate that 80 % of held-out listings fall in
                interval = new { low = Math.Exp(m.Info.Validation.LogResidualLow), high = Math.Exp(m.Info.Validation.LogResidualHigh) },
                settings = m.Info.Settings,
            }),
            tooSmall = markets.TooSmall,
        };
        Console.Out.WriteLine(JsonSerializer.Serialize(document, new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true }));
    }
}
