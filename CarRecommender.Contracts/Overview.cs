namespace CarRecommender.Contracts;

/// <summary>The overview's counts and when they were counted (they are served from a count up to 10 s old).</summary>
public sealed record OverviewDto(long ActiveListings, long SoldListings, long Users, long InteractionsToday, long OutboxPending,
    double? OutboxOldestSeconds, long RecommendationClicks24h, long RecommendedViews24h, long Views24h, long DeadLettersArchived,
    DateTimeOffset CountedAt);

/// <summary>Events recorded in one minute.</summary>
public sealed record MinuteCountDto(DateTimeOffset Minute, long Events);

/// <summary>A queue's depth and consumers; <paramref name="Declared"/> is false for a queue no service declared yet.</summary>
public sealed record QueueDepthDto(string Queue, uint Messages, uint Consumers, bool Declared = true);
