using CarRecommender.Contracts;
using CarRecommender.Core.Data;
using CarRecommender.Core.Evaluation;
using CarRecommender.Core.Learning;
using CarRecommender.Telemetry;
using Npgsql;

namespace CarRecommender.Pipelines.Jobs;

/// <summary>How a job ended: a sentence for the operator (and the evaluation's rows), or why it failed.</summary>
public sealed record JobOutcome(string? Result, string? Error, IReadOnlyList<EvaluationRowDto>? Evaluation = null);

/// <summary>
/// The operators' "retrain now", "run the offline evaluation" and "retrain the price models", with the same code the scheduler and the CLI run
/// (<see cref="AlsTrainer"/>, <see cref="Evaluator"/>); the trainer's advisory lock keeps an operator's retrain from
/// overlapping the scheduled one (it fails with that reason instead).
/// </summary>
public sealed class ModelJobs(NpgsqlDataSource dataSource, AlsSettings als, RankerSettings ranker, Core.Recommendation.Rules.EngineSettings engine,
    IServiceScopeFactory scopes, CarRecommenderMetrics metrics, Pricing.PriceModelTrainer prices)
{
    /// <summary>Every market's price model retrained and switched in (<see cref="Pricing.PriceModelTrainer"/>).</summary>
    public async Task<JobOutcome> PriceModelAsync(IProgress<LoadProgress> progress, CancellationToken ct)
    {
        var trained = await prices.TrainAsync(null, "admin", progress, ct);
        return new JobOutcome(trained.Count == 0 ? "No active listings: nothing to price." : string.Join("; ", trained.Select(t => t.Describe())), null);
    }

    /// <summary>The learned ranker trained on the served lists and compared with the blend (<see cref="RankerTrainer"/>); it serves if it wins.</summary>
    public async Task<JobOutcome> TrainRankerAsync(IProgress<LoadProgress> progress, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CarRecommenderDb>();
        var report = await new RankerTrainer(dataSource).TrainAsync(db, ranker, engine.Ranking, progress, ct);
        return new JobOutcome(report.Summary, null);
    }

    public async Task<JobOutcome> RetrainAsync(IProgress<LoadProgress> progress, CancellationToken ct)
    {
        var version = await new AlsTrainer(dataSource).TrainAsync(als, "admin", progress, ct);
        if (version is not null) metrics.RecordModel(version);
        return new JobOutcome(version is null
            ? "No interactions with a positive signal yet: nothing to train on."
            : $"Model {version.Id}: {version.Users:N0} users × {version.Items:N0} listings, loss {version.Loss:0.####}, {version.DurationMs / 1000.0:0.0} s", null);
    }

    /// <summary>Popularity, item-kNN, ALS and the hybrid on a random 80/20 split of the product's log, at K = 10.</summary>
    public async Task<JobOutcome> EvaluateAsync(IProgress<LoadProgress> progress, CancellationToken ct)
    {
        progress.Report(new LoadProgress("loading the interaction log", 0, 0));
        var log = await ProductLog.LoadAsync(dataSource, ct);
        if (log.Entries.Length == 0) return new JobOutcome("No interactions yet: nothing to evaluate.", null);
        var features = await ProductLog.FeaturesAsync(dataSource, log, ct);
        var split = DataSplit.Create(log, new SplitOptions(SplitProtocol.Random, 0.2, 42, 1));
        if (split.TestUsers.Length == 0) return new JobOutcome("No user has two interactions yet: nothing to hold out.", null);
        var options = als.ToOptions();
        IRecommender[] recommenders =
            [new PopularityRecommender(), new ItemKnnRecommender(100), new AlsRecommender(options), new HybridRecommender(options, features)];
        const int k = 10;
        var results = await Task.Run(() => Evaluator.Run(split, recommenders, k, progress, ct), ct);
        var rows = results.Select(r => new EvaluationRowDto(r.Name, r.Metrics.Precision, r.Metrics.Recall, r.Metrics.Ndcg, r.Metrics.Map,
            r.Metrics.Coverage)).ToList();
        return new JobOutcome($"{log.Users:N0} users × {log.Items:N0} listings, {split.Test.Length:N0} held-out pairs, random 80/20 split, K = {k}", null, rows);
    }
}
