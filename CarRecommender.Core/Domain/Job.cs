namespace CarRecommender.Core.Domain;

/// <summary>
/// A long-running job an operator asked for (retrain, evaluate): recorded by the API, run and updated by the worker.
/// <see cref="UpdatedAt"/> moves with every progress write and a heartbeat, so a job whose worker died is seen as stale.
/// </summary>
public sealed class Job
{
    public long Id { get; set; }
    public required string Kind { get; set; }
    public required string State { get; set; }
    public string Stage { get; set; } = "";
    public double Percent { get; set; }
    public string? Result { get; set; }
    public string? Error { get; set; }
    /// <summary>Structured result (the evaluation's rows) as JSON.</summary>
    public string? ResultJson { get; set; }
    public required string RequestedBy { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}
