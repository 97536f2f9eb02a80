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

namespace CarRecommender.Cli.Commands;

public sealed class EvaluateSettings : DatabaseSettings
{
    [CommandOption("--input <FILE>")]
    [Description("Interaction log user,item[[,value]][[,timestamp]] (comma or tab, header optional). Default: the product's own log from the database")]
    public string? Input { get; init => field = value is null ? null : CliPaths.Resolve(value); }

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

    [CommandOption("--confidence <SCALE>")]
    [Description("How strengths become ALS confidences: linear, log or binary")]
    public string? Confidence { get; init; }

    [CommandOption("--reg-exponent <NU>")]
    [Description("Frequency scaling of ALS regularisation (0 = uniform, 1 = proportional to a row's interactions)")]
    public double? RegExponent { get; init; }

    [CommandOption("--cg-steps <N>")]
    public int? CgSteps { get; init; }

    [CommandOption("--ease-lambda <LAMBDA>")]
    [Description("Fix EASE's λ instead of letting the self-tuning choose it")]
    public double? EaseLambda { get; init; }

    [CommandOption("--car-model-share <SHARE>")]
    [Description("The hybrid's car-model EASE share of its collaborative weight, from 0 to 1 (default: production's ranking setting)")]
    public double? CarModelShare { get; init; }

    [CommandOption("--repeat <N>")]
    [Description("Evaluate on N splits (seeds seed … seed+N−1) and report mean ± standard deviation (default 1)")]
    public int Repeat { get; init; } = 1;

    [CommandOption("--validation <SLICE>")]
    [Description("The self-tuning's validation slice of the training part: protocol (carved like the test split, default) or newest (each user's newest 20 %, as a production retrain on the live log)")]
    public string Validation { get; init; } = "protocol";

    [CommandOption("--search-seconds <S>")]
    [Description("Time bound of the self-tuning, as Als:Search:MaxSeconds in production (default 300)")]
    public double SearchSeconds { get; init; } = 300;

    [CommandOption("--tune")]
    [Description("A wider random search of ALS hyper-parameters on a validation split with the test protocol; ALS and the hybrid use its best")]
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

    /// <summary>True when an ALS hyper-parameter is fixed on the command line (the self-tuning then tries only that).</summary>
    public bool FixesAls => Factors is not null || Iterations is not null || Regularization is not null || Alpha is not null || Confidence is not null
        || RegExponent is not null || CgSteps is not null;

    public AlsOptions AlsOptions()
    {
        var d = ModelSearch.Default;
        return d with
        {
            Factors = Factors ?? d.Factors,
            Iterations = Iterations ?? d.Iterations,
            Regularization = Regularization ?? d.Regularization,
            Alpha = Alpha ?? d.Alpha,
            CgSteps = CgSteps ?? d.CgSteps,
            RegularizationExponent = RegExponent ?? d.RegularizationExponent,
            Confidence = Confidence is null ? d.Confidence : Enum.Parse<ConfidenceScale>(Confidence, ignoreCase: true),
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

        var runs = await RunWithProgress(settings.Json, progress => Enumerable.Range(0, settings.Repeat)
            .Select(r => RunOnce(settings, log, features, settings.Seed + r, progress, cancellationToken)).ToList());
        if (settings.Json) WriteJson(settings, source, log, runs, load.Elapsed);
        else WriteTables(settings, source, log, runs, load.Elapsed);
        return 0;
    }

    /// <summary>One split's evaluation: the baselines, then ALS, EASE and the hybrid as production's self-tuning sets them.</summary>
    private sealed record Run(DataSplit Split, SearchOutcome Search, TuningResult? Tuning, AlsOptions Als, IReadOnlyList<RecommenderResult> Results);

    private static Run RunOnce(EvaluateSettings settings, InteractionLog log, IReadOnlyDictionary<string, ListingFeatures>? features, int seed,
        IProgress<LoadProgress>? progress, CancellationToken ct)
    {
        DataSplit split;
        try
        {
            split = DataSplit.Create(log, new SplitOptions(settings.ParsedProtocol, settings.TestRatio, seed, settings.LeaveOut));
        }
        catch (ArgumentException ex)
        {
            throw new CliException(ex.Message);
        }
        if (split.TestUsers.Length == 0) throw new CliException("no test users: every user needs at least two interactions to be split");

        // what a production retrain does with its log (the same search, settings and budget), validated on a slice of the
        // training part carved like the test split: production validates for its task (the newest), this for the one scored
        var search = ModelSearch.Run(log, split.Train,
            new ModelSearchSettings { K = settings.K, MaxSeconds = settings.SearchSeconds, Seed = seed }, progress,
            settings.FixesAls ? [settings.AlsOptions() with { Seed = seed }] : null,
            settings.EaseLambda is { } lambda ? [lambda] : null,
            settings.Validation.Equals("newest", StringComparison.OrdinalIgnoreCase) ? null : split.Options, ct);
        var als = search.Als;
        TuningResult? tuning = null;
        if (settings.Tune)
        {
            tuning = AlsTuner.Tune(split, als, settings.K, settings.Trials, progress, ct);
            als = tuning.Best.Options;
        }
        var alsModel = new AlsRecommender(als);
        var ease = new EaseRecommender(search.Ease);
        IRecommender[] recommenders;
        if (features is null)
        {
            recommenders = [new PopularityRecommender(), new ItemKnnRecommender(settings.Neighbours), alsModel, ease, new BlendRecommender(alsModel, ease, search.Blend)];
        }
        else
        {
            // the product's log: EASE also at car-model level, its λ chosen as a production retrain chooses it
            var models = log.ItemIds.Select(id => features.GetValueOrDefault(id) is { } f ? CarModelEase.Key(f.Make, f.Model) : null).ToArray();
            var carModelLog = CarModelEase.MapLog(new InteractionLog(log.UserIds, log.ItemIds, split.Train), models);
            var carModels = settings.EaseLambda is { } fixedLambda ? ModelSearch.DefaultEase with { Lambda = fixedLambda }
                : carModelLog.Entries.Length == 0 ? ModelSearch.DefaultEase
                : ModelSearch.RunEase(carModelLog, new ModelSearchSettings { K = settings.K, MaxSeconds = settings.SearchSeconds, Seed = seed }, null, progress, ct).Options;
            recommenders = [new PopularityRecommender(), new ItemKnnRecommender(settings.Neighbours), alsModel, ease,
                new CarModelEaseRecommender(carModels, features), new HybridRecommender(als, features,
                    settings.CarModelShare is { } share ? new Core.Recommendation.Ranking.RankingOptions(CarModelShare: share) : null, carModels)];
        }
        return new Run(split, search, tuning, als, Evaluator.Run(split, recommenders, settings.K, progress, ct));
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
        if (!s.Validation.Equals("newest", StringComparison.OrdinalIgnoreCase) && !s.Validation.Equals("protocol", StringComparison.OrdinalIgnoreCase))
            throw new CliException($"unknown --validation '{s.Validation}': use protocol or newest");
        if (s.Repeat is < 1 or > 100) throw new CliException("--repeat must be from 1 to 100");
        if (s.SearchSeconds < 0 || double.IsNaN(s.SearchSeconds)) throw new CliException("--search-seconds must be ≥ 0");
        if (s.EaseLambda is < 0 || s.EaseLambda is double l && double.IsNaN(l)) throw new CliException("--ease-lambda must be ≥ 0");
        if (s.CarModelShare is < 0 or > 1 || s.CarModelShare is double share && double.IsNaN(share))
            throw new CliException("--car-model-share must be from 0 to 1");
        if (s.CgSteps is < 1 or > 100) throw new CliException("--cg-steps must be from 1 to 100");
        if (s.RegExponent is < 0 or > 2 || s.RegExponent is double nu && double.IsNaN(nu)) throw new CliException("--reg-exponent must be from 0 to 2");
        if (s.Confidence is { } c && !Enum.TryParse<ConfidenceScale>(c, ignoreCase: true, out _))
            throw new CliException($"unknown --confidence '{c}': use linear, log or binary");
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
            var features = ListingFeatures.Of(catalogue);
            return (generated, $"generated ({users:N0} shoppers, {s.Listings:N0} listings)", features);
        }

        await using var dataSource = await s.OpenDatabaseAsync(ct);
        var log = await ProductLog.LoadAsync(dataSource, ct);
        return (log, "interactions table", await ProductLog.FeaturesAsync(dataSource, log, ct));
    }

    private static Task<T> RunWithProgress<T>(bool quiet, Func<IProgress<LoadProgress>?, T> work) =>
        quiet ? Task.FromResult(work(null)) : ProgressReporter.RunAsync(progress => Task.Run(() => work(progress)));

    private static void WriteTables(EvaluateSettings s, string source, InteractionLog log, IReadOnlyList<Run> runs, TimeSpan loadTime)
    {
        var first = runs[0];
        var split = first.Split;
        var data = new Table().AddColumns("data", "value");
        data.AddRow("source", Markup.Escape(source));
        data.AddRow("users × items × pairs", $"{log.Users:N0} × {log.Items:N0} × {log.Entries.Length:N0}");
        data.AddRow("protocol", $"{split.Options.Protocol}" + (split.Options.Protocol == SplitProtocol.Temporal
            ? $", leave last {split.Options.LeaveOut} out" : $", test ratio {split.Options.TestRatio:0.##}")
            + (runs.Count == 1 ? $", seed {split.Options.Seed}" : $", seeds {split.Options.Seed}…{split.Options.Seed + runs.Count - 1}"));
        data.AddRow("train / test pairs", $"{split.Train.Length:N0} / {split.Test.Length:N0}");
        data.AddRow("test users", $"{split.TestUsers.Length:N0}");
        data.AddRow("load time", $"{loadTime.TotalSeconds:0.00} s");
        AnsiConsole.Write(data);

        var search = first.Search;
        var trials = new Table().Title(Markup.Escape($"self-tuning, as a production retrain runs it (validation: {search.ValidationProtocol} of the training part, {search.ValidationUsers:N0} users, {search.Seconds:0.0} s)"))
            .AddColumns("model", "setting", $"NDCG@{s.K}", $"R@{s.K}", "fit");
        foreach (var t in search.Trials)
            trials.AddRow(t.Model, Markup.Escape(t.Setting), $"{t.Validation.Ndcg:0.0000}", $"{t.Validation.Recall:0.0000}", $"{t.FitSeconds:0.0} s");
        AnsiConsole.Write(trials);
        AnsiConsole.MarkupLineInterpolated($"chosen: ALS {ModelSearch.Describe(search.Als)}; EASE λ {search.Ease.Lambda:G4}; hybrid {search.Blend}");

        if (first.Tuning is { } tuning)
        {
            var tried = new Table().Title("ALS --tune (validation split of the training data, test protocol)")
                .AddColumns("factors", "λ", "α", "iterations", $"NDCG@{s.K}", $"R@{s.K}", "fit");
            foreach (var t in tuning.Trials)
                tried.AddRow($"{t.Options.Factors}", $"{t.Options.Regularization:G3}", $"{t.Options.Alpha:G3}", $"{t.Options.Iterations}",
                    $"{t.Validation.Ndcg:0.0000}", $"{t.Validation.Recall:0.0000}", $"{t.FitTime.TotalSeconds:0.0} s");
            AnsiConsole.Write(tried);
        }

        var k = s.K;
        var table = new Table().Title(runs.Count == 1 ? $"offline evaluation at K = {k}" : $"offline evaluation at K = {k}, mean ± standard deviation over {runs.Count} splits")
            .AddColumns("recommender", $"P@{k}", $"R@{k}", $"NDCG@{k}", $"MAP@{k}", "coverage", "novelty", "diversity", "fit");
        var names = first.Results.Select(r => r.Name).ToArray();
        var bestNdcg = names.Max(n => Mean(runs, n, m => m.Ndcg));
        foreach (var name in names)
        {
            string Cell(Func<MetricsAtK, double> metric, string format = "0.0000") => runs.Count == 1
                ? Mean(runs, name, metric).ToString(format, CultureInfo.InvariantCulture)
                : $"{Mean(runs, name, metric).ToString(format, CultureInfo.InvariantCulture)} ± {Deviation(runs, name, metric).ToString(format, CultureInfo.InvariantCulture)}";
            var ndcg = Cell(m => m.Ndcg);
            table.AddRow(Markup.Escape(name), Cell(m => m.Precision), Cell(m => m.Recall),
                Mean(runs, name, m => m.Ndcg) == bestNdcg ? $"[green]{ndcg}[/]" : ndcg, Cell(m => m.Map), Cell(m => m.Coverage, "0.000"),
                Cell(m => m.Novelty, "0.00"), Cell(m => m.Diversity, "0.000"),
                $"{runs.Average(r => r.Results.First(x => x.Name == name).FitTime.TotalSeconds):0.00} s");
        }
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine("ALS, EASE and hybrid use the self-tuning's choices" + (first.Tuning is null ? "" : " (ALS: --tune's best)")
            + "; hybrid is what production serves. Novelty: mean self-information (bits); diversity: 1 − mean pairwise co-occurrence cosine.");
    }

    private static IEnumerable<MetricsAtK> MetricsOf(IReadOnlyList<Run> runs, string name) => runs.Select(r => r.Results.First(x => x.Name == name).Metrics);

    private static double Mean(IReadOnlyList<Run> runs, string name, Func<MetricsAtK, double> metric) => MetricsOf(runs, name).Average(metric);

    /// <summary>Sample standard deviation over the runs (0 for one run).</summary>
    private static double Deviation(IReadOnlyList<Run> runs, string name, Func<MetricsAtK, double> metric)
    {
        var values = MetricsOf(runs, name).Select(metric).ToArray();
        if (values.Length < 2) return 0;
        var mean = values.Average();
        return Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Length - 1));
    }

    private static void WriteJson(EvaluateSettings s, string source, InteractionLog log, IReadOnlyList<Run> runs, TimeSpan loadTime)
    {
        static object Metrics(MetricsAtK m) => new
        {
            precision = m.Precision,
            recall = m.Recall,
            ndcg = m.Ndcg,
            map = m.Map,
            coverage = m.Coverage,
            novelty = m.Novelty,
            diversity = m.Diversity,
            users = m.Users,
        };
        static object Options(AlsOptions o) => new
        {
            factors = o.Factors,
            iterations = o.Iterations,
            regularization = o.Regularization,
            regularizationExponent = o.RegularizationExponent,
            alpha = o.Alpha,
            confidence = o.Confidence.ToString().ToLowerInvariant(),
            cgSteps = o.CgSteps,
            seed = o.Seed,
        };
        object Split(DataSplit split) => new
        {
            protocol = split.Options.Protocol.ToString(),
            testRatio = split.Options.TestRatio,
            leaveOut = split.Options.LeaveOut,
            seed = split.Options.Seed,
            trainPairs = split.Train.Length,
            testPairs = split.Test.Length,
            testUsers = split.TestUsers.Length,
        };
        var names = runs[0].Results.Select(r => r.Name).ToArray();
        var document = new
        {
            source,
            k = s.K,
            data = new { users = log.Users, items = log.Items, pairs = log.Entries.Length, loadSeconds = loadTime.TotalSeconds },
            split = Split(runs[0].Split),
            als = Options(runs[0].Als),
            // mean and sample standard deviation over the runs (one run: the deviation is 0)
            results = names.Select(name => new
            {
                name,
                metrics = Metrics(MetricsOf(runs, name).First() with
                {
                    Precision = Mean(runs, name, m => m.Precision),
                    Recall = Mean(runs, name, m => m.Recall),
                    Ndcg = Mean(runs, name, m => m.Ndcg),
                    Map = Mean(runs, name, m => m.Map),
                    Coverage = Mean(runs, name, m => m.Coverage),
                    Novelty = Mean(runs, name, m => m.Novelty),
                    Diversity = Mean(runs, name, m => m.Diversity),
                }),
                ndcgStdDev = Deviation(runs, name, m => m.Ndcg),
                fitSeconds = runs.Average(r => r.Results.First(x => x.Name == name).FitTime.TotalSeconds),
                evaluateSeconds = runs.Average(r => r.Results.First(x => x.Name == name).EvaluateTime.TotalSeconds),
            }),
            runs = runs.Select(r => new
            {
                split = Split(r.Split),
                search = new
                {
                    validation = r.Search.ValidationProtocol,
                    users = r.Search.ValidationUsers,
                    seconds = r.Search.Seconds,
                    als = Options(r.Search.Als),
                    easeLambda = r.Search.Ease.Lambda,
                    blend = new { latent = r.Search.Blend.Latent, ease = r.Search.Blend.Ease, popularity = r.Search.Blend.Popularity },
                    trials = r.Search.Trials.Select(t => new { model = t.Model, setting = t.Setting, validation = Metrics(t.Validation), fitSeconds = t.FitSeconds }),
                },
                tuning = r.Tuning?.Trials.Select(t => new { options = Options(t.Options), validation = Metrics(t.Validation), fitSeconds = t.FitTime.TotalSeconds }),
                results = r.Results.Select(x => new { name = x.Name, metrics = Metrics(x.Metrics), fitSeconds = x.FitTime.TotalSeconds }),
            }),
        };
        Console.Out.WriteLine(JsonSerializer.Serialize(document, new JsonSerializerOptions { WriteIndented = true }));
    }
}
