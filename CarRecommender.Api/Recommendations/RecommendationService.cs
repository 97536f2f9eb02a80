using System.Diagnostics;
using CarRecommender.Api.Listings;
using CarRecommender.Core.Data;
using CarRecommender.Core.Domain;
using CarRecommender.Core.Recommendation;
using CarRecommender.Core.Recommendation.Experiments;
using CarRecommender.Core.Recommendation.Store;
using CarRecommender.Core.Search;
using CarRecommender.Telemetry;
using Microsoft.EntityFrameworkCore;

namespace CarRecommender.Api.Recommendations;

/// <summary>
/// Serves recommendations under the user's experiment variant (or the configured defaults): from the user's stored list
/// when it was ranked under the same settings and can fill the request (<see cref="RecommendationStore.ReadAsync(long, ListingFilter?, int, IReadOnlySet{long}, Core.Recommendation.Rules.EngineSettings, DateTimeOffset, CancellationToken)"/>),
/// else live from the engine (<see cref="RecommendationEngine"/>); an unfiltered live list is stored for the next
/// request. Every served list is recorded (<see cref="ServedList"/>) with its variant, so events that carry its id are
/// attributed to it.
/// </summary>
public sealed class RecommendationService(CarRecommenderDb db, RecommendationEngine engine, RecommendationStore store, ExperimentRegistry experiments,
    TimeProvider clock, CarRecommenderMetrics metrics)
{
    public const int DefaultLimit = 10;

    /// <param name="served">The user is shown the list (their own request): it is recorded as served. An operator's preview is not.</param>
    public async Task<RecommendationsDto?> GetAsync(long userId, ListingFilter? filter, int limit, IReadOnlySet<long> exclude, bool served, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        var id = Guid.CreateVersion7();
        var now = clock.GetUtcNow();
        var assignment = await experiments.AssignAsync(Units.User(userId), ct);
        RecommendationsDto? result;
        string mode;
        if (await store.ReadAsync(userId, filter, limit, exclude, assignment.Settings, now, ct) is { } stored)
        {
            mode = "precomputed";
            result = new RecommendationsDto(userId, id, mode, stored.ComputedAt,
                stored.Items.Select(p => Item(p.Listing, p.Score, p.Source, p.Reason, id, p.IsPromoted(now), p.Notes)).ToList());
        }
        else
        {
            mode = "live";
            // unfiltered, the whole list is ranked and stored; with exclude= it is this request's only
            var whole = filter is null && exclude.Count == 0;
            var request = new RecommendationRequest(userId, filter, whole ? RecommendationStore.ListSize : limit, now)
            {
                Settings = assignment.Settings,
                Exclude = exclude,
            };
            if (await engine.RecommendAsync(request, ct) is not { } ranked) return null;
            metrics.Candidates.Record(ranked.Candidates);
            if (whole) await store.SaveAsync(userId, ranked, assignment.Settings, ct);
            // computed as of now, after it was stored: a later read of the stored list is not newer than this answer
            result = new RecommendationsDto(userId, id, mode, clock.GetUtcNow(), await WithListingsAsync(db, ranked.Items.Take(limit).ToList(), id, ct));
        }
        if (served) await RecordAsync(db, id, mode, result.Items, userId, null, assignment, ct);
        result = result with { Experiment = assignment.Experiment, Variant = assignment.Variant };
        Measure(metrics, started, mode, result.Items.Count);
        return result;
    }

    /// <summary>A served list's latency (since <paramref name="started"/>) and size on the CarRecommender meter, by mode.</summary>
    public static void Measure(CarRecommenderMetrics metrics, long started, string mode, int items)
    {
        var tag = new KeyValuePair<string, object?>("mode", mode);
        metrics.RecommendationLatency.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds, tag);
        metrics.RecommendationsServed.Add(items, tag);
    }

    /// <summary>
    /// Records a list as served to a user or a session (<paramref name="listId"/> is the response's
    /// <c>recommendationId</c>) with its experiment and variant, so the events that carry the id count for them. The
    /// insert commits without waiting for its WAL to reach the disk (<c>synchronous_commit</c> off for its own
    /// transaction): it is the only write on a read's path, and waiting for the flush made a stored-list read cost
    /// about twice a listing read. A PostgreSQL crash can lose the last fraction of a second of these records (never
    /// half of one); what they feed, experiment results, is a rate over thousands of lists.
    /// </summary>
    public static async Task RecordAsync(CarRecommenderDb db, Guid listId, string mode, IReadOnlyList<RecommendationDto> items, long? userId,
        Guid? sessionId, Assignment assignment, CancellationToken ct)
    {
        var ids = items.Select(i => i.Listing.Id).ToArray();
        await db.Database.ExecuteSqlAsync($"""
            INSERT INTO served_lists (id, user_id, session_id, experiment_id, variant, mode, served_at, listing_ids)
            SELECT {listId}::uuid, {userId}::bigint, {sessionId}::uuid, {assignment.ExperimentId}::bigint, {assignment.Variant}::text, {mode}::text,
                   now(), {ids}::bigint[]
            FROM (SELECT set_config('synchronous_commit', 'off', true)) AS this_transaction_only
            """, ct);
    }

    /// <summary>Ranked listings with their listing rows (one query), as served.</summary>
    public static async Task<List<RecommendationDto>> WithListingsAsync(CarRecommenderDb db, List<RankedListing> ranked, Guid id, CancellationToken ct)
    {
        var ids = ranked.Select(r => r.ListingId).ToArray();
        var listings = await db.Listings.AsNoTracking().Where(l => ids.Contains(l.Id)).Select(RecommendationStore.Shown).ToDictionaryAsync(l => l.Id, ct);
        return ranked.Where(r => listings.ContainsKey(r.ListingId))
            .Select(r => Item(listings[r.ListingId], r.Score, r.Source.ToString(), r.Reason, id, r.Promoted, r.Notes)).ToList();
    }

    private static RecommendationDto Item(Listing listing, double score, string source, string reason, Guid id, bool promoted, IReadOnlyList<string> rules) =>
        new(listing.ToSummary(), score, source, reason, id, promoted, new ExplanationDto(reason, source, promoted, rules));
}
