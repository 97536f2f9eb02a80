using System.Text.Json.Serialization;

namespace CarRecommender.Contracts;

/// <summary>The long-running jobs an operator can ask the worker for.</summary>
public static class JobKinds
{
    /// <summary>An ALS retrain on the whole interaction log (a new model version).</summary>
    public const string Retrain = "retrain";
    /// <summary>The offline evaluation of the product's log: popularity, item-kNN, ALS and the hybrid on a random 80/20 split.</summary>
    public const string Evaluate = "evaluate";
    /// <summary>Retrains every market's price model and switches it in (new estimates and deal ratings).</summary>
    public const string PriceModel = "price-model";

    /// <summary>The learned ranker trained on the served lists and compared with the blend; it serves if it wins.</summary>
    public const string TrainRanker = "train-ranker";

    public static readonly string[] All = [Retrain, Evaluate, PriceModel, TrainRanker];
}

/// <summary>Where a job is: queued (the worker has not taken it), running, done or failed.</summary>
public static class JobStates
{
    public const string Queued = "queued";
    public const string Running = "running";
    public const string Done = "done";
    public const string Failed = "failed";
}

/// <summary>The body of <c>POST /api/admin/jobs</c>.</summary>
public sealed record JobRequest(string? Kind);

/// <summary>One recommender's offline metrics at K (the evaluation job's result rows).</summary>
public sealed record EvaluationRowDto(string Recommender, double Precision, double Recall, double Ndcg, double Map, double Coverage);

/// <summary>
/// A job as the API records it and the worker updates it: its stage and percent while it runs (written at most twice a
/// second), then its result (a sentence; the evaluation's rows in <paramref name="Evaluation"/>) or its error.
/// </summary>
public sealed record JobDto(long Id, string Kind, string State, string Stage, double Percent, string? Result, string? Error,
    IReadOnlyList<EvaluationRowDto>? Evaluation, string RequestedBy, DateTimeOffset CreatedAt, DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt, DateTimeOffset UpdatedAt)
{
    /// <summary>Queued or running: not finished yet.</summary>
    [JsonIgnore]
    public bool Active => State is JobStates.Queued or JobStates.Running;
}
