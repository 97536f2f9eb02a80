using System.Diagnostics;
using CarRecommender.Api.Listings;
using CarRecommender.Core.Data;
using CarRecommender.Core.Recommendation;
using CarRecommender.Core.Recommendation.Store;
using CarRecommender.Core.Search;
using CarRecommender.Telemetry;
using Microsoft.EntityFrameworkCore;

namespace CarRecommender.Api.Recommendations;

/// <summary>
/// Serves recommendations: from the user's stored list when it can fill the request (<see cref="RecommendationStore.ReadAsync"/>:
/// two keyed reads), else live from the engine (<see cref="RecommendationEngine"/>); an unfiltered live list is stored
/// for the next request.
/// </summary>
public sealed class RecommendationService(CarRecommenderDb db, RecommendationEngine engine, RecommendationStore store, TimeProvider clock,
    CarRecommenderMetrics metrics)
{
    public const int DefaultLimit = 10;

    public async Task<RecommendationsDto?> GetAsync(long userId, ListingFilter? filter, int limit, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        var id = Guid.CreateVersion7();
        RecommendationsDto? result;
        string mode;
        if (await store.ReadAsync(userId, filter, limit, ct) is { } stored)
        {
            mode = "precomputed";
            result = new RecommendationsDto(userId, id, mode, stored.ComputedAt,
                stored.Items.Select(p => new RecommendationDto(p.Listing.ToSummary(), p.Score, p.Source, p.Reason, id)).ToList());
        }
        else
        {
            mode = "live";
            var request = new RecommendationRequest(userId, filter, filter is null ? RecommendationStore.ListSize : limit, clock.GetUtcNow());
            if (await engine.RecommendAsync(request, ct) is not { } ranked) return null;
            metrics.Candidates.Record(ranked.Candidates);
            if (filter is null) await store.SaveAsync(userId, ranked, ct);
            // computed as of now, after it was stored: a later read of the stored list is not newer than this answer
            result = new RecommendationsDto(userId, id, mode, clock.GetUtcNow(), await WithListingsAsync(ranked.Items.Take(limit).ToList(), id, ct));
        }
        var tag = new KeyValuePair<string, object?>("mode", mode);
        metrics.RecommendationLatency.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds, tag);
        metrics.RecommendationsServed.Add(result.Items.Count, tag);
        return result;
    }

    private async Task<List<RecommendationDto>> WithListingsAsync(List<RankedListing> ranked, Guid id, CancellationToken ct)
    {
        var ids = ranked.Select(r => r.ListingId).ToArray();
        var listings = await db.Listings.AsNoTracking().Where(l => ids.Contains(l.Id)).ToDictionaryAsync(l => l.Id, ct);
        return ranked.Where(r => listings.ContainsKey(r.ListingId))
            .Select(r => new RecommendationDto(listings[r.ListingId].ToSummary(), r.Score, r.Source.ToString(), r.Reason, id)).ToList();
    }
}
