using CarRecommender.Core.Data;
using CarRecommender.Core.Evaluation;
using CarRecommender.Core.Learning;
using CarRecommender.Telemetry;
using Npgsql;

namespace CarRecommender.Admin.Operations;

/// <summary>One long-running job as the console shows it: what it is doing, how far, and how it ended.</summary>
public sealed record JobState(bool Running, string Stage, double Percent, string? Result, string? Error, DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt)
{
    public static readonly JobState Idle = new(false, "", 0, null, null, null, null);
}

public sealed record EvaluationRow(string Recommender, double Precision, double Recall, double Ndcg, double Map, double Coverage);

/// <summary>
/// The console's "retrain now" and "run the offline evaluation" buttons. Both run here, in the background, with the
/// same code the worker and the CLI run (<see cref="AlsTrainer"/>, <see cref="Evaluator"/>); the trainer's advisory
/// lock keeps a console retrain from overlapping the worker's. One of each at a time; pages watch <see cref="Changed"/>.
/// </summary>
public sealed class ModelOperations(NpgsqlDataSource dataSource, AlsSettings als, CarRecommenderMetrics metrics, ILogger<ModelOperations> logger)
{
    private readonly Lock _gate = new();

    public JobState Training { get; private set; } = JobState.Idle;
    public JobState Evaluation { get; private set; } = JobState.Idle;
    public IReadOnlyList<EvaluationRow> LastEvaluation { get; private set; } = [];

    /// <summary>Raised (on a background thread) whenever a job's state changes.</summary>
    public event Action? Changed;

    /// <summary>Starts a retrain unless one is running (false then).</summary>
    public bool StartTraining() => TryStart(training: true, TrainAsync);

    /// <summary>Starts an evaluation of the product's log unless one is running (false then).</summary>
    public bool StartEvaluation() => TryStart(training: false, EvaluateAsync);

    private bool TryStart(bool training, Func<Task> job)
    {
        lock (_gate)
        {
            if ((training ? Training : Evaluation).Running) return false;
            var started = new JobState(true, "starting", 0, null, null, DateTimeOffset.UtcNow, null);
            if (training) Training = started;
            else Evaluation = started;
        }
        Changed?.Invoke();
        _ = Task.Run(job);
        return true;
    }

    private async Task TrainAsync()
    {
        try
        {
            var version = await new AlsTrainer(dataSource).TrainAsync(als, "admin", new SyncProgress<LoadProgress>(p => Update(true, p)), CancellationToken.None);
            if (version is not null) metrics.RecordModel(version);
            Finish(true, version is null
                ? "No interactions with a positive signal yet: nothing to train on."
                : $"Model {version.Id}: {version.Users:N0} users × {version.Items:N0} listings, loss {version.Loss:0.####}, {version.DurationMs / 1000.0:0.0} s", null);
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Retrain from the admin console failed");
            Finish(true, null, ex.Message);
        }
    }

    private async Task EvaluateAsync()
    {
        try
        {
            Update(false, new LoadProgress("loading the interaction log", 0, 0));
            var log = await ProductLog.LoadAsync(dataSource, CancellationToken.None);
            if (log.Entries.Length == 0)
            {
                Finish(false, "No interactions yet: nothing to evaluate.", null);
                return;
            }
            var features = await ProductLog.FeaturesAsync(dataSource, log, CancellationToken.None);
            var split = DataSplit.Create(log, new SplitOptions(SplitProtocol.Random, 0.2, 42, 1));
            if (split.TestUsers.Length == 0)
            {
                Finish(false, "No user has two interactions yet: nothing to hold out.", null);
                return;
            }
            var options = als.ToOptions();
            IRecommender[] recommenders =
                [new PopularityRecommender(), new ItemKnnRecommender(100), new AlsRecommender(options), new HybridRecommender(options, features)];
            const int k = 10;
            var results = await Task.Run(() => Evaluator.Run(split, recommenders, k, new SyncProgress<LoadProgress>(p => Update(false, p)), CancellationToken.None));
            LastEvaluation = results.Select(r => new EvaluationRow(r.Name, r.Metrics.Precision, r.Metrics.Recall, r.Metrics.Ndcg, r.Metrics.Map,
                r.Metrics.Coverage)).ToList();
            Finish(false, $"{log.Users:N0} users × {log.Items:N0} listings, {split.Test.Length:N0} held-out pairs, random 80/20 split, K = {k}", null);
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Offline evaluation from the admin console failed");
            Finish(false, null, ex.Message);
        }
    }

    private void Update(bool training, LoadProgress p)
    {
        var percent = p.Total > 0 ? 100.0 * p.Done / p.Total : 0;
        lock (_gate)
        {
            if (training) Training = Training with { Stage = p.Stage, Percent = percent };
            else Evaluation = Evaluation with { Stage = p.Stage, Percent = percent };
        }
        Changed?.Invoke();
    }

    private void Finish(bool training, string? result, string? error)
    {
        lock (_gate)
        {
            var done = new JobState(false, error is null ? "done" : "failed", error is null ? 100 : 0, result, error,
                (training ? Training : Evaluation).StartedAt, DateTimeOffset.UtcNow);
            if (training) Training = done;
            else Evaluation = done;
        }
        Changed?.Invoke();
    }
}
