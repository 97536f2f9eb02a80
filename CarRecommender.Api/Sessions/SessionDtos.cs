namespace CarRecommender.Api.Sessions;

/// <summary>A new anonymous session: its id is the bearer secret the visitor sends as <c>X-Session-Id</c>.</summary>
public sealed record SessionCreatedDto(Guid SessionId, DateTimeOffset CreatedAt);

/// <summary>A session merged into a user on sign-in: how many of its events are now the user's.</summary>
public sealed record SessionMergedDto(Guid SessionId, long UserId, int Events);

/// <summary>A session's recommendations, shaped like a user's (<see cref="RecommendationsDto"/>); the mode is always "session".</summary>
public sealed record SessionRecommendationsDto(Guid SessionId, Guid RecommendationId, string Mode, DateTimeOffset ComputedAt, IReadOnlyList<RecommendationDto> Items,
    string? Experiment = null, string? Variant = null);
