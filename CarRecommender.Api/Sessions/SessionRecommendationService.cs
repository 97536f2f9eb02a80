using System.Diagnostics;
using CarRecommender.Api.Listings;
using CarRecommender.Core.Data;
using CarRecommender.Core.Recommendation;
using CarRecommender.Core.Recommendation.Taste;
using CarRecommender.Core.Search;
using CarRecommender.Telemetry;
using Microsoft.EntityFrameworkCore;

namespace CarRecommender.Api.Sessions;

/// <summary>
/// Serves an anonymous session's recommendations: always live, from the engine composed over the session's taste
/// (<see cref="SessionTasteLoader"/>) and the registered retrieval. Nothing is stored: a session's taste moves with
/// every event and costs two keyed reads to compute. The session counterpart of
/// <see cref="Recommendations.RecommendationService"/>.
/// </summary>
public sealed class SessionRecommendationService(CarRecommenderDb db, IRetrieval retrieval, TimeProvider clock, CarRecommenderMetrics metrics)
{
    public const string Mode = "session";

    /// <summary>The session's best <paramref name="limit"/> listings passing <paramref name="filter"/>, or null when there is no such session.</summary>
    public async Task<SessionRecommendationsDto?> GetAsync(Guid sessionId, ListingFilter? filter, int limit, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        var engine = RecommendationEngine.Create(new SessionTasteLoader(db, sessionId), retrieval);
        // the request's user id means nothing here: the taste loader is the session's
        var request = new RecommendationRequest(0, filter, limit, clock.GetUtcNow());
        if (await engine.RecommendAsync(request, ct) is not { } ranked) return null;
        metrics.Candidates.Record(ranked.Candidates);
        var id = Guid.CreateVersion7();
        var ids = ranked.Items.Select(r => r.ListingId).ToArray();
        var listings = await db.Listings.AsNoTracking().Where(l => ids.Contains(l.Id)).ToDictionaryAsync(l => l.Id, ct);
        var items = ranked.Items.Where(r => listings.ContainsKey(r.ListingId))
            .Select(r => new RecommendationDto(listings[r.ListingId].ToSummary(), r.Score, r.Source.ToString(), r.Reason, id)).ToList();
        var tag = new KeyValuePair<string, object?>("mode", Mode);
        metrics.RecommendationLatency.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds, tag);
        metrics.RecommendationsServed.Add(items.Count, tag);
        return new SessionRecommendationsDto(sessionId, id, Mode, clock.GetUtcNow(), items);
    }
}
