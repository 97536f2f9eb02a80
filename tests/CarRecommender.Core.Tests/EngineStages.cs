using CarRecommender.Core.Recommendation;
using CarRecommender.Core.Recommendation.Ranking;
using CarRecommender.Core.Recommendation.Sources;
using CarRecommender.Core.Recommendation.Taste;

namespace CarRecommender.Core.Tests;

/// <summary>The engine's pure half (ranker, diversity, reasons) as the services compose it, over given candidates.</summary>
internal static class EngineStages
{
    public static IReadOnlyList<RankedListing> Rank(UserTaste user, IReadOnlyList<Candidate> candidates, int limit, DateTimeOffset now,
        RankingOptions? options = null)
    {
        var engine = RecommendationEngine.Create(new InMemoryTastes(_ => null), new MemoryRetrieval(new CandidateCatalogue([])), options);
        var excluded = user.History.Where(h => h.Excluded).Select(h => h.ListingId).ToHashSet();
        return engine.Rank(new UserContext(user, null, null, null), candidates, excluded, limit, now);
    }
}
