using CarRecommender.Core.Recommendation.Ranking;
using CarRecommender.Core.Recommendation.Sources;
using CarRecommender.Core.Recommendation.Store;
using CarRecommender.Core.Recommendation.Taste;
using Microsoft.Extensions.DependencyInjection;

namespace CarRecommender.Core.Recommendation;

/// <summary>The engine over PostgreSQL, as the API and the worker register it (scoped: its stages share the request's DbContext).</summary>
public static class EngineServices
{
    public static IServiceCollection AddRecommendationEngine(this IServiceCollection services, RankingOptions? ranking = null)
    {
        services.AddScoped<ITasteLoader, PostgresTasteLoader>();
        services.AddScoped<IRetrieval, CatalogueRetrieval>();
        services.AddScoped(sp => RecommendationEngine.Create(sp.GetRequiredService<ITasteLoader>(), sp.GetRequiredService<IRetrieval>(), ranking));
        services.AddScoped<RecommendationStore>();
        services.AddScoped<ListRefresh>();
        return services;
    }
}

/// <summary>The worker's refresh: the user's unfiltered list, computed by the engine and stored.</summary>
public sealed class ListRefresh(RecommendationEngine engine, RecommendationStore store, TimeProvider? clock = null)
{
    /// <summary>False when the user does not exist.</summary>
    public async Task<bool> RefreshAsync(long userId, CancellationToken ct)
    {
        var now = (clock ?? TimeProvider.System).GetUtcNow();
        if (await engine.RecommendAsync(new RecommendationRequest(userId, null, RecommendationStore.ListSize, now), ct) is not { } result) return false;
        await store.SaveAsync(userId, result, ct);
        return true;
    }
}
