using CarRecommender.Core.Recommendation.Experiments;
using CarRecommender.Core.Recommendation.Ranking;
using CarRecommender.Core.Recommendation.Rules;
using CarRecommender.Core.Recommendation.Sources;
using CarRecommender.Core.Recommendation.Store;
using CarRecommender.Core.Recommendation.Taste;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace CarRecommender.Core.Recommendation;

/// <summary>The engine over PostgreSQL, as the API and the worker register it (scoped: its stages share the request's DbContext).</summary>
public static class EngineServices
{
    /// <summary>
    /// The engine with the settings of the configuration's <c>Recommendations</c> section (ranking, rules, sources),
    /// validated at start-up, and the running experiment's registry.
    /// </summary>
    public static IServiceCollection AddRecommendationEngine(this IServiceCollection services, IConfiguration configuration)
    {
        var settings = Settings(configuration);
        services.AddSingleton(settings);
        services.AddSingleton(sp => new ExperimentRegistry(sp.GetRequiredService<NpgsqlDataSource>(), settings, sp.GetService<TimeProvider>()));
        services.AddScoped<ITasteLoader, PostgresTasteLoader>();
        services.AddScoped<IRetrieval, CatalogueRetrieval>();
        services.AddSingleton(sp => new ServingRanker(sp.GetRequiredService<NpgsqlDataSource>(), sp.GetService<TimeProvider>()));
        services.AddScoped(sp => new RecommendationEngine(sp.GetRequiredService<ITasteLoader>(), sp.GetRequiredService<IRetrieval>(), settings, null,
            sp.GetRequiredService<ServingRanker>()));
        services.AddScoped(sp => new RecommendationStore(sp.GetRequiredService<Data.CarRecommenderDb>(), sp.GetRequiredService<ServingRanker>()));
        services.AddScoped<ListRefresh>();
        return services;
    }

    /// <summary>The configured defaults (<see cref="EngineSettings.SectionName"/>); a wrong value stops the service at start-up.</summary>
    public static EngineSettings Settings(IConfiguration configuration)
    {
        var section = configuration.GetSection(EngineSettings.SectionName);
        try
        {
            return (section.Get<EngineSettings>() ?? EngineSettings.Default).Validated();
        }
        catch (ArgumentException e)
        {
            throw new InvalidOperationException($"Configuration {EngineSettings.SectionName}: {e.Message}", e);
        }
    }
}

/// <summary>The worker's refresh: the user's unfiltered list under their experiment variant's settings, computed and stored.</summary>
public sealed class ListRefresh(RecommendationEngine engine, RecommendationStore store, ExperimentRegistry experiments, TimeProvider? clock = null)
{
    /// <summary>False when the user does not exist.</summary>
    public async Task<bool> RefreshAsync(long userId, CancellationToken ct)
    {
        var now = (clock ?? TimeProvider.System).GetUtcNow();
        var assignment = await experiments.AssignAsync(Units.User(userId), ct);
        var request = new RecommendationRequest(userId, null, RecommendationStore.ListSize, now) { Settings = assignment.Settings };
        if (await engine.RecommendAsync(request, ct) is not { } result) return false;
        await store.SaveAsync(userId, result, assignment.Settings, ct);
        return true;
    }
}

/// <summary>The units experiments assign: a signed-in user, or an anonymous session.</summary>
public static class Units
{
    public static string User(long id) => "user:" + id;
    public static string Session(Guid id) => "session:" + id.ToString("N");
}
