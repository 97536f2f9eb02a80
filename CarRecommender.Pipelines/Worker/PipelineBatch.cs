using CarRecommender.Core.Events;

namespace CarRecommender.Pipelines.Worker;

/// <summary>What a pipeline did with one event of a batch.</summary>
public enum EventOutcome { Applied, Duplicate, Rejected }

public sealed record EventResult(EventOutcome Outcome, string? Reason = null);

/// <summary>A pipeline's work on a batch of events: one database transaction, so a batch is applied whole or not at all.</summary>
public interface IPipelineHandler
{
    /// <summary>Name used in processed_events, metrics and logs.</summary>
    string Pipeline { get; }
    string Queue { get; }
    /// <summary>Whether an applied event changed the user's vectors, so their recommendation list needs a refresh.</summary>
    bool ChangesUserVectors { get; }
    Task<IReadOnlyList<EventResult>> ApplyAsync(IReadOnlyList<UserActivityEvent> events, CancellationToken ct);
}
