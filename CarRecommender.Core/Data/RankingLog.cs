using CarRecommender.Core.Domain;
using CarRecommender.Core.Recommendation;
using CarRecommender.Core.Recommendation.Ranking;
using CarRecommender.Core.Recommendation.Sources;
using CarRecommender.Core.Recommendation.Taste;
using CarRecommender.Core.Search;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace CarRecommender.Core.Data;

/// <summary>Impressions and clicks at one position of the served lists, and their ratio.</summary>
public sealed record PositionClickThrough(int Position, long Impressions, long Clicks)
{
    public double Rate => Impressions == 0 ? 0 : (double)Clicks / Impressions;
}

/// <summary>
/// The product's own ranking log: served lists, the impressions clients reported and what users did with the
/// listings (events carrying the list's id), read back as click-through by position and as learning-to-rank lists.
/// </summary>
public static class RankingLog
{
    /// <summary>The kinds that count as a click on a listing of a list (a save or a contact is one too).</summary>
    private const string ClickTypes = "'View', 'Save', 'Share', 'Contact'";
    /// <summary>A list without impressions contributes its first this many listings (and any the user reacted to).</summary>
    public const int UnreportedDepth = 10;

    /// <summary>Per position, the impressions recorded since <paramref name="since"/> and how many led to a click on that listing from that list.</summary>
    public static async Task<List<PositionClickThrough>> ClickThroughAsync(NpgsqlDataSource dataSource, DateTimeOffset since, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand($"""
            SELECT i.position, count(*),
                   count(*) FILTER (WHERE EXISTS (SELECT 1 FROM interactions x WHERE x.recommendation_id = i.list_id AND x.listing_id = i.listing_id
                                                  AND x.type IN ({ClickTypes}))
                                       OR EXISTS (SELECT 1 FROM session_events x WHERE x.recommendation_id = i.list_id AND x.listing_id = i.listing_id
                                                  AND x.type IN ({ClickTypes})))
            FROM impressions i
            WHERE i.recorded_at >= $1
            GROUP BY i.position ORDER BY i.position
            """);
        cmd.Parameters.AddWithValue(since);
        var rows = new List<PositionClickThrough>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) rows.Add(new PositionClickThrough(reader.GetInt32(0), reader.GetInt64(1), reader.GetInt64(2)));
        return rows;
    }

    /// <summary>
    /// Signed-in users' lists served since <paramref name="since"/> that led to at least one click, newest first (at most
    /// <paramref name="max"/>), each as the learner's <see cref="RankingList"/>: the impressed listings (or, when the
    /// client reported none, the first <see cref="UnreportedDepth"/>) and every listing reacted to, with their features as
    /// of serving time. What is replayed: the user's history before the list was served (seen, usual price, car-model
    /// anchors) and the time (listing age, trend decay). What is today's: the user's and listings' vectors, the car-model
    /// links, the trend counters, prices and market estimates (none is versioned).
    /// </summary>
    public static async Task<List<RankingList>> ListsAsync(CarRecommenderDb db, NpgsqlDataSource dataSource, DateTimeOffset since, int max,
        RankingOptions ranking, IProgress<LoadProgress>? progress, CancellationToken ct)
    {
        var served = new List<(Guid Id, long UserId, DateTimeOffset ServedAt, long[] Listings, long[] Shown, long[] Reacted, string[] Types)>();
        await using (var cmd = dataSource.CreateCommand($"""
            SELECT s.id, s.user_id, s.served_at, s.listing_ids,
                   coalesce((SELECT array_agg(i.listing_id) FROM impressions i WHERE i.list_id = s.id), ARRAY[]::bigint[]),
                   r.listings, r.types
            FROM served_lists s
            JOIN LATERAL (SELECT array_agg(x.listing_id) AS listings, array_agg(x.type) AS types FROM interactions x
                          WHERE x.recommendation_id = s.id AND x.user_id = s.user_id AND x.type IN ({ClickTypes})) r ON r.listings IS NOT NULL
            WHERE s.user_id IS NOT NULL AND s.served_at >= $1
            ORDER BY s.served_at DESC LIMIT $2
            """))
        {
            cmd.Parameters.AddWithValue(since);
            cmd.Parameters.AddWithValue(max);
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
                served.Add((reader.GetGuid(0), reader.GetInt64(1), reader.GetFieldValue<DateTimeOffset>(2), reader.GetFieldValue<long[]>(3),
                    reader.GetFieldValue<long[]>(4), reader.GetFieldValue<long[]>(5), reader.GetFieldValue<string[]>(6)));
        }

        var tastes = new PostgresTasteLoader(db);
        var blend = new BlendRanker(ranking);
        var lists = new List<RankingList>(served.Count);
        for (var n = 0; n < served.Count; n++)
        {
            if (n % 20 == 0) progress?.Report(new LoadProgress("replaying served lists", n, served.Count));
            var s = served[n];
            var reactions = s.Reacted.Zip(s.Types).GroupBy(x => x.First)
                .ToDictionary(g => g.Key, g => RankingLabels.Of(g.Select(x => Enum.Parse<InteractionType>(x.Second))));
            var shown = s.Shown.Length > 0 ? s.Shown.ToHashSet() : s.Listings.Take(UnreportedDepth).ToHashSet();
            var ids = s.Listings.Where(id => shown.Contains(id) || reactions.ContainsKey(id)).ToArray();
            if (ids.Length < 2 || await tastes.LoadAsync(s.UserId, s.ServedAt, ct) is not { } user) continue;
            var found = (await IndexedSources.ReadAsync(db, db.Listings.AsNoTracking().Where(l => ids.Contains(l.Id)), ids.Length, ct))
                .ToDictionary(c => c.ListingId);
            var candidates = ids.Where(found.ContainsKey).Select(id => Placed(found[id], user)).ToList();
            if (candidates.Count < 2) continue;
            var rows = RankingFeatures.Compute(user.Taste, candidates, blend.Blend(user.Taste, candidates, s.ServedAt), s.ServedAt);
            lists.Add(new RankingList(s.Id, s.ServedAt, rows,
                candidates.Select(c => reactions.GetValueOrDefault(c.ListingId)).ToArray(),
                candidates.Select(c => Array.IndexOf(s.Listings, c.ListingId) + 1).ToArray()));
        }
        progress?.Report(new LoadProgress("replaying served lists", served.Count, served.Count));
        lists.Reverse();
        return lists;
    }

    /// <summary>The candidate with its distance from the user, as the engine places it.</summary>
    private static Candidate Placed(Candidate c, UserContext user) =>
        user is { Latitude: { } lat, Longitude: { } lon } && c is { Latitude: { } cl, Longitude: { } cg } ? c with { DistanceKm = Geo.HaversineKm(lat, lon, cl, cg) } : c;
}
