using System.ComponentModel;
using System.Diagnostics;
using CarRecommender.Core.Domain;
using CarRecommender.Core.Pricing;
using CarRecommender.Core.Recommendation;
using CarRecommender.Core.Recommendation.Ranking;
using CarRecommender.Core.Seeding;
using Spectre.Console;
using Spectre.Console.Cli;

namespace CarRecommender.Cli.Commands;

public sealed class RankBenchSettings : CommandSettings
{
    [CommandOption("--listings <N>")]
    [Description("Generated listings the market price model is trained on (default 1,000,000, goal < 2 min; 0: the ranker's latency only)")]
    public int Listings { get; init; } = 1_000_000;

    [CommandOption("--requests <N>")]
    [Description("Requests of 200 candidates the learned ranker scores (default 2,000)")]
    public int Requests { get; init; } = 2_000;
}

/// <summary>
/// The learned ranking's costs, no database: the learned ranker's added latency per request (features and scoring of
/// 200 candidates, on top of the blend it starts from) with a model of the production size, and the market price
/// model's training time (cross-validation and the final fit, <see cref="MarketPricing.Train"/>) on a generated catalogue.
/// </summary>
public sealed class RankBenchCommand : AsyncCommand<RankBenchSettings>
{
    public const int Candidates = 200;
    public const double LatencyGoalMs = 2;
    public static readonly TimeSpan PricingGoal = TimeSpan.FromMinutes(2);

    public override Task<int> ExecuteAsync(CommandContext context, RankBenchSettings settings, CancellationToken cancellationToken)
    {
        var table = new Table().AddColumns("figure", "value", "goal");
        table.AddRow("cores", $"{Environment.ProcessorCount}", "");
        AnsiConsole.MarkupLine("[grey]training a learned ranker of the production size on a generated log…[/]");
        Latency(table, settings.Requests);
        if (settings.Listings > 0)
        {
            AnsiConsole.MarkupLine($"[grey]generating {settings.Listings:N0} listings and training the market price model…[/]");
            Pricing(table, settings.Listings, cancellationToken);
        }
        AnsiConsole.Write(table);
        return Task.FromResult(0);
    }

    private static void Latency(Table table, int requests)
    {
        var rng = new Random(42);
        var model = RankerTraining.Train(GeneratedLog(rng), new RankerTrainingSettings());
        var user = new UserTaste(Vector(rng, VectorSizes.Content), Vector(rng, VectorSizes.Latent), 25,
            Enumerable.Range(0, 25).Select(i => new HistoryItem(1_000_000 + i, "VW", "Golf", 2019, InteractionType.View, false, null, null)
            {
                Price = 15_000 + 500 * i,
            }).ToList());
        // the requests' candidates and blends made up front, so the timed part allocates only what the ranker does
        var blend = new BlendRanker();
        var now = DateTimeOffset.UtcNow;
        var requestsMade = Enumerable.Range(0, 20).Select(_ =>
        {
            var candidates = Enumerable.Range(0, Candidates).Select(i => new Candidate(i, "VW", "Golf", 2018, 10_000 + rng.Next(20_000), BodyType.Hatchback,
                Vector(rng, VectorSizes.Content), Vector(rng, VectorSizes.Latent), rng.NextDouble(), rng.NextDouble() * 300)
            {
                CreatedAt = now.AddDays(-rng.Next(60)),
                MarketDeviation = rng.NextDouble() < 0.8 ? rng.NextDouble() * 0.4 - 0.2 : null,
                SellerType = (SellerType)rng.Next(2),
            }).ToList();
            return (Candidates: candidates, Blend: blend.Blend(user, candidates, now));
        }).ToArray();
        var times = new double[requests];
        var scores = new double[Candidates];
        const int warmUp = 500;
        for (var r = -warmUp; r < requests; r++)
        {
            var (candidates, blended) = requestsMade[(r + warmUp) % requestsMade.Length];
            // what the learned ranker adds to the blend: the features and the trees
            var started = Stopwatch.GetTimestamp();
            var rows = RankingFeatures.Compute(user, candidates, blended, now);
            model.Score(rows, scores);
            var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            if (r >= 0) times[r] = elapsed;
        }
        Array.Sort(times);
        var (p50, p99) = (times[times.Length / 2], times[(int)(times.Length * 0.99)]);
        table.AddRow("learned ranker: trees × leaves", $"{model.Trees} × ≤ {new RankerTrainingSettings().Leaves}", "");
        table.AddRow($"learned ranker: added latency, {Candidates} candidates, p50", $"{p50:0.000} ms", Goal(p50 <= LatencyGoalMs, $"≤ {LatencyGoalMs} ms"));
        table.AddRow($"learned ranker: added latency, {Candidates} candidates, p99", $"{p99:0.000} ms", Goal(p99 <= LatencyGoalMs, $"≤ {LatencyGoalMs} ms"));
    }

    private static void Pricing(Table table, int listings, CancellationToken ct)
    {
        var features = new PriceFeatures();
        var generate = Stopwatch.StartNew();
        var rows = new CatalogueGenerator(42, DateTimeOffset.UtcNow).Listings(listings).Select(features.Row).ToList();
        generate.Stop();
        var settings = new PriceModelSettings();
        var train = Stopwatch.StartNew();
        var models = MarketPricing.Train(rows, settings, DateTimeOffset.UtcNow, ct: ct);
        train.Stop();
        table.AddRow("market price model: listings generated", $"{rows.Count:N0} in {generate.Elapsed.TotalSeconds:0.0} s", "");
        table.AddRow($"market price model: training ({settings.Folds}-fold cross-validation and the final fit, {models.Models.Count} market(s))",
            $"{train.Elapsed.TotalSeconds:0.0} s", Goal(train.Elapsed < PricingGoal, $"< {PricingGoal.TotalMinutes:0} min"));
        foreach (var m in models.Models.Where(m => m.Info.Validation is not null))
            table.AddRow($"market price model: {m.Market} median APE, model vs baseline",
                $"{m.Info.Validation!.Model.MedianAbsolutePercentageError:P1} vs {m.Info.Validation.Baseline.MedianAbsolutePercentageError:P1}", "");
    }

    private static string Goal(bool met, string goal) => $"{goal} {(met ? "[green]met[/]" : "[red]MISSED[/]")}";

    private static float[] Vector(Random rng, int n)
    {
        var v = new float[n];
        for (var i = 0; i < n; i++) v[i] = (float)(rng.NextDouble() * 2 - 1);
        return v;
    }

    /// <summary>300 lists of 20 whose contacts follow the deal and the blend, so the trees grow to their full size.</summary>
    private static List<RankingList> GeneratedLog(Random rng)
    {
        var width = RankingFeatures.Count;
        var lists = new List<RankingList>();
        for (var l = 0; l < 300; l++)
        {
            var rows = new float[20 * width];
            for (var i = 0; i < rows.Length; i++) rows[i] = (float)rng.NextDouble();
            var labels = Enumerable.Range(0, 20)
                .Select(i => rows[i * width + 4] + rows[i * width + width - 1] + rng.NextDouble() * 0.3 > 1.5 ? rng.Next(1, 4) : 0).ToArray();
            lists.Add(new RankingList(Guid.NewGuid(), DateTimeOffset.UtcNow, rows, labels, Enumerable.Range(1, 20).ToArray()));
        }
        return lists;
    }
}
