namespace CarRecommender.Core.Domain;

/// <summary>
/// An anonymous visitor's session: events without an account are recorded against it, and its short-term taste is the
/// recency-weighted mean of the content vectors of what it looked at. Signing in merges it into the user.
/// </summary>
public sealed class VisitorSession
{
    public Guid Id { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset LastSeenAt { get; set; }
    public int EventCount { get; set; }
    /// <summary>The user the session was merged into on sign-in (its events are theirs since); null while anonymous.</summary>
    public long? MergedIntoUserId { get; set; }
    public DateTimeOffset? MergedAt { get; set; }
}

/// <summary>One event of an anonymous session (the session's counterpart of <see cref="Interaction"/>).</summary>
public sealed class SessionEvent
{
    public long Id { get; set; }
    public Guid EventId { get; set; }
    public Guid SessionId { get; set; }
    public long ListingId { get; set; }
    public InteractionType Type { get; set; }
    public DateTimeOffset OccurredAt { get; set; }
    public DateTimeOffset RecordedAt { get; set; }
    public Guid? RecommendationId { get; set; }
}

/// <summary>
/// An online experiment: named variants of the engine's settings, each given a share of users (or sessions) by a stable
/// hash. At most one runs at a time. <see cref="Variants"/> is JSON: <c>[{ "name", "share", "settings" }]</c>.
/// </summary>
public sealed class Experiment
{
    public long Id { get; set; }
    public required string Name { get; set; }
    public string Description { get; set; } = "";
    /// <summary>draft, running or stopped.</summary>
    public required string State { get; set; }
    public required string Variants { get; set; }
    public required string CreatedBy { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? StoppedAt { get; set; }
}

/// <summary>
/// A recommendation list as served (an impression of the whole list): its id is the <c>recommendationId</c> of the
/// response, which the client sends back with the events it leads to, so clicks and contacts are attributed to the
/// list, its variant and its experiment.
/// </summary>
public sealed class ServedList
{
    public Guid Id { get; set; }
    public long? UserId { get; set; }
    public Guid? SessionId { get; set; }
    public long? ExperimentId { get; set; }
    public string? Variant { get; set; }
    /// <summary>precomputed or live.</summary>
    public required string Mode { get; set; }
    public DateTimeOffset ServedAt { get; set; }
    public long[] ListingIds { get; set; } = [];
}
