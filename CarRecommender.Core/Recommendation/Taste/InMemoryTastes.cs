namespace CarRecommender.Core.Recommendation.Taste;

/// <summary>The taste stage over tastes built in memory (the offline evaluation's users, tests).</summary>
public sealed class InMemoryTastes(Func<long, UserContext?> taste) : ITasteLoader
{
    public ValueTask<UserContext?> LoadAsync(long userId, CancellationToken ct) => ValueTask.FromResult(taste(userId));
}
