using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using CarRecommender.Core.Data;
using CarRecommender.Core.Domain;
using CarRecommender.Core.Evaluation;
using CarRecommender.Core.Learning;
using Npgsql;
using Spectre.Console;
using Spectre.Console.Cli;

namespace CarRecommender.Pipelines.Cli;

public sealed class EvaluateSettings : DatabaseSettings
{
    [CommandOption("--input <FILE>")]
    [Description("Interaction log user,item[,value][,timestamp] (comma or tab, header optional). Default: the product's own log from the database")]
    public string? Input { get; init; }

    [CommandOption("--generate <USERS>")]
    [Description("Evaluate on a generated log instead: this many simulated shoppers over a generated catalogue (no database)")]
    public int? Generate { get; init; }

    [CommandOption("--listings <N>")]
    [Description("Listings in the generated catalogue with --generate (default 10,000)")]
    public int Listings { get; init; } = 10_000;

    [CommandOption("--protocol <PROTOCOL>")]
    [Description("random (global hold-out), per-user (stratified hold-out) or temporal (leave-last-N-out). Default random")]
    public string Protocol { get; init; } = "random";

    [CommandOption("--test-ratio <RATIO>")]
    [Description("Share held out by random and per-user, in (0, 1) (default 0.2)")]
    public double TestRatio { get; init; } = 0.2;

    [CommandOption("--leave-out <N>")]
    [Description("Latest items per user held out by temporal (default 1)")]
    public int LeaveOut { get; init; } = 1;

    [CommandOption("--seed <N>")]
    public int Seed { get; init; } = 42;

    /// <summary>Spectre.Console.Cli refuses one-letter long names, so <c>--k</c> is rewritten to <c>-k</c> (<see cref="EvaluateCommand.NormaliseArguments"/>).</summary>
    [CommandOption("-k|--cutoff <K>")]
    [Description("Cut-off K of the metrics, also accepted as --k (default 10)")]
    public int K { get; init; } = 10;

    [CommandOption("--min-value <V>")]
    [Description("Drop input rows with a value below V (e.g. 4 to keep MovieLens ratings ≥ 4 as positives)")]
    public double? MinValue { get; init; }

    [CommandOption("--neighbours <M>")]
    [Description("Neighbours kept per item by item-kNN (default 100)")]
    public int Neighbours { get; init; } = 100;

    [CommandOption("--factors <K>")]
    public int? Factors { get; init; }

    [CommandOption("--iterations <N>")]
    public int? Iterations { get; init; }

    [CommandOption("--regularization <LAMBDA>")]
    public double? Regularization { get; init; }

    [CommandOption("--alpha <ALPHA>")]
    public double? Alpha { get; init; }

    [CommandOption("--tune")]
    [Description("Search ALS hyper-parameters on a validation split of the training data first; evaluate ALS with the best")]
    public bool Tune { get; init; }

    [CommandOption("--trials <N>")]
    [Description("Settings tried by --tune (default 12)")]
    public int Trials { get; init; } = 12;

    [CommandOption("--json")]
    [Description("Write one JSON object to stdout instead of tables and progress")]
    public bool Json { get; init; }

    public SplitProtocol ParsedProtocol => Protocol.ToLowerInvariant() switch
    {
        "random" => SplitProtocol.Random,
        "per-user" or "peruser" => SplitProtocol.PerUser,
        "temporal" => SplitProtocol.Temporal,
        _ => throw new CliException($"unknown --protocol '{Protocol}': use random, per-user or temporal"),
    };

    public AlsOptions AlsOptions()
    {
        var d = new AlsOptions();
        return d with
        {
            Factors = Factors ?? d.Factors,
            Iterations = Iterations ?? d.Iterations,
            Regularization = Regularization ?? d.Regularization,
            Alpha = Alpha ?? d.Alpha,
            Seed = Seed,
        };
    }
}

/// <summary>
/// Offline evaluation: splits an interaction log (a file, a generated log, or the product's own), fits most-popular,
/// item-kNN and the production ALS on the training part and reports Precision/Recall/NDCG/MAP@K and coverage on the
/// held-out part; optionally tunes ALS on a validation split first.
/// </summary>
public sealed class EvaluateCommand : AsyncCommand<EvaluateSettings>
{
    /// <summary>Accepts <c>--k 10</c> and <c>--k=10</c> (the documented spelling) as <c>-k</c>.</summary>
    public static string[] NormaliseArguments(string[] args) =>
        args.Length > 0 && args[0].Equals("evaluate", StringComparison.OrdinalIgnoreCase)
            ? args.Select(a => a == "--k" ? "-k" : a.StartsWith("--k=", StringComparison.Ordinal) ? "-k=" + a[4..] : a).ToArray()
            : args;

    public override async Task<int> ExecuteAsync(CommandContext context, EvaluateSettings settings, CancellationToken cancellationToken)
    {
        Validate(settings);
        var load = Stopwatch.StartNew();
        var (log, source, features) = await LoadAsync(settings, cancellationToken);
        load.Stop();
        if (log.Entries.Length == 0) throw new CliException($"{source}: no interactions with a positive value");

        DataSplit split;
        try
        {
            split = DataSplit.Create(log, new SplitOptions(settings.ParsedProtocol, settings.TestRatio, settings.Seed, settings.LeaveOut));
        }
        catch (ArgumentException ex)
        {
            throw new CliException(ex.Message);
        }
        if (split.TestUsers.Length == 0) throw new CliException("no test users: every user needs at least two interactions to be split");

        var als = settings.AlsOptions();
        TuningResult? tuning = null;
        var results = await RunWithProgress(settings.Json, progress =>
        {
            if (settings.Tune)
            {
                tuning = AlsTuner.Tune(split, als, settings.K, settings.Trials, progress, cancellationToken);
                als = tuning.Best.Options;
            }
            IRecommender[] recommenders = features is null
                ? [new PopularityRecommender(), new ItemKnnRecommender(settings.Neighbours), new AlsRecommender(als)]
                : [new PopularityRecommender(), new ItemKnnRecommender(settings.Neighbours), new AlsRecommender(als), new HybridRecommender(als, features)];
            return Evaluator.Run(split, recommenders, settings.K, progress, cancellationToken);
        });

        if (settings.Json) WriteJson(settings, source, log, split, als, tuning, results, load.Elapsed);
        else WriteTables(settings, source, log, split, tuning, results, load.Elapsed);
        return 0;
    }

    private static void Validate(EvaluateSettings s)
    {
        if (s.Input is not null && s.Generate is not null) throw new CliException("pass either --input or --generate, not both");
        if (s.Input is not null && !File.Exists(s.Input)) throw new CliException($"--input: no such file '{s.Input}'");
        if (s.Generate is < 2) throw new CliException("--generate needs at least 2 users");
        if (s.Listings < 10) throw new CliException("--listings must be at least 10");
        if (s.TestRatio is not (> 0 and < 1)) throw new CliException($"--test-ratio must be between 0 and 1 (exclusive), not {s.TestRatio}");
        if (s.K < 1) throw new CliException($"--k must be at least 1, not {s.K}");
        if (s.LeaveOut < 1) throw new CliException("--leave-out must be at least 1");
        if (s.Trials < 1) throw new CliException("--trials must be at least 1");
        if (s.Neighbours < 1) throw new CliException("--neighbours must be at least 1");
        if (s.Factors is < 1 or > 1024) throw new CliException("--factors must be from 1 to 1024");
        if (s.Iterations is < 1 or > 100) throw new CliException("--iterations must be from 1 to 100");
        if (s.Regularization is < 0 || s.Regularization is double r && double.IsNaN(r)) throw new CliException("--regularization must be ≥ 0");
        if (s.Alpha is < 0 || s.Alpha is double a && double.IsNaN(a)) throw new CliException("--alpha must be ≥ 0");
        _ = s.ParsedProtocol;
    }

    /// <summary>The log, where it came from, and the listings' features when they are known (generated or the product's own).</summary>
    private static async Task<(InteractionLog Log, string Source, IReadOnlyDictionary<string, ListingFeatures>? Features)> LoadAsync(
        EvaluateSettings s, CancellationToken ct)
    {
        if (s.Input is { } path)
        {
            try
            {
                using var reader = new StreamReader(path);
                return (InteractionLogReader.Read(reader, s.MinValue), Path.GetFileName(path), null);
            }
            catch (FormatException ex)
            {
                throw new CliException($"{path}: {ex.Message}");
            }
        }
        if (s.Generate is { } users)
        {
            var (generated, catalogue) = SyntheticLog.CreateWithCatalogue(users, s.Listings, s.Seed);
            var features = catalogue.ToDictionary(l => l.Id.ToString(CultureInfo.InvariantCulture),
                l => new ListingFeatures(l.Make, l.Model, l.Year, l.Price, l.BodyType, l.ContentVector?.ToArray()));
            return (generated, $"generated ({users:N0} shoppers, {s.Listings:N0} listings)", features);
        }

        await using var dataSource = await s.OpenDatabaseAsync(ct);
        var log = await ProductLog.LoadAsync(dataSource, ct);
        return (log, "interactions table", await ProductLog.FeaturesAsync(dataSource, log, ct));
    }

    private static Task<T> RunWithProgress<T>(bool quiet, Func<IProgress<LoadProgress>?, T> work) =>
        quiet ? Task.FromResult(work(null)) : ProgressReporter.RunAsync(progress => Task.Run(() => work(progress)));

    private static void WriteTables(EvaluateSettings s, string source, InteractionLog log, DataSplit split, TuningResult? tuning,
        IReadOnlyList<RecommenderResult> results, TimeSpan loadTime)
    {
        var data = new Table().AddColumns("data", "value");
        data.AddRow("source", Markup.Escape(source));
        data.AddRow("users × items × pairs", $"{log.Users:N0} × {log.Items:N0} × {log.Entries.Length:N0}");
        data.AddRow("protocol", $"{split.Options.Protocol}" + (split.Options.Protocol == SplitProtocol.Temporal
            ? $", leave last {split.Options.LeaveOut} out" : $", test ratio {split.Options.TestRatio:0.##}") + $", seed {split.Options.Seed}");
        data.AddRow("train / test pairs", $"{split.Train.Length:N0} / {split.Test.Length:N0}");
        data.AddRow("test users", $"{split.TestUsers.Length:N0}");
        data.AddRow("load time", $"{loadTime.TotalSeconds:0.00} s");
        AnsiConsole.Write(data);

        if (tuning is not null)
        {
            var tried = new Table().Title("ALS tuning (validation split of the training data)")
                .AddColumns("factors", "λ", "α", "iterations", $"NDCG@{s.K}", $"R@{s.K}", "fit");
            foreach (var t in tuning.Trials)
            {
                var best = ReferenceEquals(t, tuning.Best);
                tried.AddRow($"{t.Options.Factors}", $"{t.Options.Regularization:G3}", $"{t.Options.Alpha:G3}", $"{t.Options.Iterations}",
                    best ? $"[green]{t.Validation.Ndcg:0.0000}[/]" : $"{t.Validation.Ndcg:0.0000}", $"{t.Validation.Recall:0.0000}",
                    $"{t.FitTime.TotalSeconds:0.0} s");
            }
            AnsiConsole.Write(tried);
            var b = tuning.Best.Options;
            AnsiConsole.MarkupLineInterpolated(
                $"best: --factors {b.Factors} --regularization {b.Regularization:G3} --alpha {b.Alpha:G3} --iterations {b.Iterations}");
        }

        var k = s.K;
        var table = new Table().Title($"offline evaluation at K = {k}")
            .AddColumns("recommender", $"P@{k}", $"R@{k}", $"NDCG@{k}", $"MAP@{k}", "coverage", "fit", "evaluate");
        var bestNdcg = results.Max(r => r.Metrics.Ndcg);
        foreach (var r in results)
        {
            var m = r.Metrics;
            var ndcg = $"{m.Ndcg:0.0000}";
            table.AddRow(Markup.Escape(r.Name), $"{m.Precision:0.0000}", $"{m.Recall:0.0000}", m.Ndcg == bestNdcg ? $"[green]{ndcg}[/]" : ndcg,
                $"{m.Map:0.0000}", $"{m.Coverage:P1}", $"{r.FitTime.TotalSeconds:0.00} s", $"{r.EvaluateTime.TotalSeconds:0.00} s");
        }
        AnsiConsole.Write(table);
    }

    private static void WriteJson(EvaluateSettings s, string source, InteractionLog log, DataSplit split, AlsOptions als, TuningResult? tuning,
        IReadOnlyList<RecommenderResult> results, TimeSpan loadTime)
    {
        static object Metrics(MetricsAtK m) => new
        {
            precision = m.Precision,
            recall = m.Recall,
            ndcg = m.Ndcg,
            map = m.Map,
            coverage = m.Coverage,
            users = m.Users,
        };
        static object Options(AlsOptions o) => new
        {
            factors = o.Factors,
            iterations = o.Iterations,
            regularization = o.Regularization,
            alpha = o.Alpha,
            cgSteps = o.CgSteps,
            seed = o.Seed,
        };
        var document = new
        {
            source,
            k = s.K,
            data = new { users = log.Users, items = log.Items, pairs = log.Entries.Length, loadSeconds = loadTime.TotalSeconds },
            split = new
            {
                protocol = split.Options.Protocol.ToString(),
                testRatio = split.Options.TestRatio,
                leaveOut = split.Options.LeaveOut,
                seed = split.Options.Seed,
                trainPairs = split.Train.Length,
                testPairs = split.Test.Length,
                testUsers = split.TestUsers.Length,
            },
            als = Options(als),
            tuning = tuning?.Trials.Select(t => new { options = Options(t.Options), validation = Metrics(t.Validation), fitSeconds = t.FitTime.TotalSeconds }),
            results = results.Select(r => new
            {
                name = r.Name,
                metrics = Metrics(r.Metrics),
                fitSeconds = r.FitTime.TotalSeconds,
                evaluateSeconds = r.EvaluateTime.TotalSeconds,
            }),
        };
        Console.Out.WriteLine(JsonSerializer.Serialize(document, new JsonSerializerOptions { WriteIndented = true }));
    }
}
