using System.Numerics.Tensors;
using System.Text.Json;
using CarRecommender.Core.Domain;
using CarRecommender.Core.Features;
using CarRecommender.Core.Learning;
using CarRecommender.Core.Ranking;
using CarRecommender.Core.Recommendation;
using CarRecommender.Core.Search;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;
using Pgvector;
using Pgvector.EntityFrameworkCore;

namespace CarRecommender.Core.Data;

/// <summary>
/// The recommendation pipeline's stages over the database: load the user's taste (vectors, history and car-model
/// affinity), retrieve candidates (content ANN, latent ANN, the car-model EASE's models and trending, all filtered by
/// business rules in SQL), rank them with
/// <see cref="HybridRanker"/>, and store or read a user's precomputed list. The API runs it live for filtered requests;
/// the pipelines run it unfiltered right after they change a user's vectors.
/// </summary>
public sealed class Recommender(CarRecommenderDb db)
{
    /// <summary>How many recommendations a precomputed list holds (and so the largest unfiltered limit it serves).</summary>
    public const int ListSize = 50;
    /// <summary>How much of a user's history ranking looks at (most recent listings first).</summary>
    public const int HistoryLimit = 300;
    /// <summary>
    /// A filtered request whose filter matches at most this many active listings is ranked over all of them, exactly
    /// (<see cref="ExactCandidatesAsync"/>); above it, through the vector indexes.
    /// </summary>
    public const int ExactFilterLimit = 5_000;
    /// <summary>
    /// A filtered request's index scans run with these session settings: pgvector's default candidate list (40, not the
    /// database's 200 that unfiltered lists use for recall) and a cap on the tuples an iterative scan visits before it
    /// gives up. Measured on the 1M catalogue (warm), a latent-vector scan filtered to SUVs or to electric cars took
    /// 12–16 ms at ef_search 200 and about 5 ms with these, still 30 rows; what a capped scan misses on a more
    /// selective filter, the trending source (an exact b-tree scan) fills.
    /// </summary>
    public const int FilteredEfSearch = 40, FilteredMaxScanTuples = 2_000;

    public RankingOptions Options { get; init; } = new();

    /// <summary>The user's vectors and aggregated history, or null when there is no such user.</summary>
    public async Task<UserContext?> TasteAsync(long userId, CancellationToken ct)
    {
        var user = await db.Users.AsNoTracking().Where(u => u.Id == userId)
            .Select(u => new { u.ContentVector, u.LatentVector, u.InteractionCount, u.Latitude, u.Longitude, u.VectorsUpdatedAt })
            .SingleOrDefaultAsync(ct);
        if (user is null) return null;
        var history = new List<HistoryItem>();
        CarModelAffinity carModels;
        var conn = (NpgsqlConnection)db.Database.GetDbConnection();
        var opened = conn.State != System.Data.ConnectionState.Open;
        if (opened) await conn.OpenAsync(ct);
        try
        {
            await using var cmd = new NpgsqlCommand($"""
                SELECT h.listing_id, l.make, l.model, l.year, h.strongest, h.dismissed, l.content_vector, f.factors,
                       -- the euro price when the user last acted on it (the newest price then, else the first change's
                       -- previous price) less today's: a price drop to tell them about
                       coalesce((SELECT p.price FROM price_history p WHERE p.listing_id = h.listing_id AND p.changed_at <= h.last_at
                                 ORDER BY p.changed_at DESC, p.id DESC LIMIT 1),
                                (SELECT p.previous_price FROM price_history p WHERE p.listing_id = h.listing_id AND p.changed_at > h.last_at
                                 ORDER BY p.changed_at, p.id LIMIT 1)) - l.price AS price_drop
                FROM (SELECT listing_id,
                             {EventCatalogue.SqlStrongest} AS strongest,
                             {EventCatalogue.SqlVetoed} AS dismissed,
                             max(occurred_at) AS last_at
                      FROM interactions WHERE user_id = $1
                      GROUP BY listing_id ORDER BY last_at DESC LIMIT $2) h
                JOIN listings l ON l.id = h.listing_id
                LEFT JOIN listing_factors f ON f.listing_id = h.listing_id
                """, conn);
            cmd.Parameters.AddWithValue(userId);
            cmd.Parameters.AddWithValue(HistoryLimit);
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
                history.Add(new HistoryItem(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetInt32(3),
                    reader.IsDBNull(4) ? null : Enum.Parse<InteractionType>(reader.GetString(4)), reader.GetBoolean(5),
                    reader.IsDBNull(6) ? null : reader.GetFieldValue<Vector>(6).ToArray(),
                    reader.IsDBNull(7) ? null : reader.GetFieldValue<Vector>(7).ToArray())
                {
                    PriceDrop = reader.IsDBNull(8) || reader.GetInt32(8) <= 0 ? null : reader.GetInt32(8),
                });
            await reader.CloseAsync();
            carModels = await CarModelAffinityAsync(conn, history, ct);
        }
        finally
        {
            if (opened) await conn.CloseAsync();
        }
        var taste = new UserTaste(user.ContentVector?.ToArray(), user.LatentVector?.ToArray(), user.InteractionCount, history) { CarModels = carModels };
        return new UserContext(taste, user.Latitude, user.Longitude, user.VectorsUpdatedAt);
    }

    /// <summary>
    /// The car-model EASE's scores for the models of the user's positive history: the newest model version's kept links
    /// from those models (a primary-key range read per model).
    /// </summary>
    private static async Task<CarModelAffinity> CarModelAffinityAsync(NpgsqlConnection conn, IReadOnlyList<HistoryItem> history, CancellationToken ct)
    {
        var models = history.Where(h => h.IsAnchor).Select(h => CarModelEase.Key(h.Make, h.Model)).Distinct().ToArray();
        if (models.Length == 0) return CarModelAffinity.None;
        await using var cmd = new NpgsqlCommand("""
            SELECT car_model, related, weight FROM car_model_links
            WHERE model_version_id = (SELECT max(model_version_id) FROM car_model_links) AND car_model = ANY($1)
            """, conn);
        cmd.Parameters.AddWithValue(models);
        var links = new Dictionary<string, List<CarModelLink>>(StringComparer.Ordinal);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var source = reader.GetString(0);
            if (!links.TryGetValue(source, out var list)) links[source] = list = [];
            list.Add(new CarModelLink(reader.GetString(1), reader.GetFloat(2)));
        }
        return new CarModelLinks(links.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<CarModelLink>)kv.Value, StringComparer.Ordinal)).For(models);
    }

    /// <summary>How many of the car-model EASE's best models the car-model source takes listings from.</summary>
    public const int CarModelSourceModels = 10;

    /// <summary>
    /// Runs retrieval and ranking. With a filter every candidate source applies it: a selective filter (at most
    /// <see cref="ExactFilterLimit"/> matches) is ranked exactly over its matches, a broad one through the indexes, where
    /// the trending source is an exact b-tree scan, so the list still fills even when the ANN scans give up early.
    /// </summary>
    public async Task<RecommendationResult?> RecommendAsync(long userId, ListingFilter? filter, int limit, CancellationToken ct)
    {
        if (await TasteAsync(userId, ct) is not { } t) return null;
        var taste = t.Taste;
        var excluded = taste.History.Where(h => h.Excluded).Select(h => h.ListingId).ToArray();
        var pool = db.Listings.AsNoTracking().Where(l => l.Status == ListingStatus.Active);
        if (filter is not null) pool = pool.Matching(filter with { Status = ListingStatus.Active });
        if (excluded.Length > 0) pool = pool.Where(l => !excluded.Contains(l.Id));

        var perSource = Math.Max(3 * limit, 30);
        var trending = taste.Content is null && taste.Latent is null ? perSource : limit + 10;
        List<CandidateRow> candidates;
        if (filter is null)
        {
            candidates = await IndexedCandidatesAsync(pool, taste, null, perSource, trending, ct);
        }
        else
        {
            // one transaction, so the scan settings below are this request's only (SET LOCAL) on a pooled connection
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            await db.Database.ExecuteSqlRawAsync(
                $"SET LOCAL hnsw.ef_search = {FilteredEfSearch}; SET LOCAL hnsw.max_scan_tuples = {FilteredMaxScanTuples}", ct);
            candidates = await ExactCandidatesAsync(pool, taste, perSource, trending, ct)
                         ?? await IndexedCandidatesAsync(pool, taste, filter, perSource, trending, ct);
            await tx.CommitAsync(ct);
        }
        // cars the user looked at whose price has dropped since: candidates whatever the sources found
        var dropped = taste.History.Where(h => h is { Seen: true, PriceDrop: > 0 }).Select(h => h.ListingId).ToArray();
        if (dropped.Length > 0) candidates.AddRange(await Project(pool.Where(l => dropped.Contains(l.Id))).ToListAsync(ct));

        var mapped = candidates.Select(c => new Candidate(c.Id, c.Make, c.Model, c.Year, c.Price, c.BodyType, c.Content?.ToArray(), c.Latent?.ToArray(),
            c.TrendKey, t.Latitude is { } lat && t.Longitude is { } lon && c is { Latitude: { } cl, Longitude: { } cg } ? Geo.HaversineKm(lat, lon, cl, cg) : null)).ToList();
        return new RecommendationResult(HybridRanker.Rank(taste, mapped, limit, DateTimeOffset.UtcNow, Options), t.VectorsAsOf, candidates.Count);
    }

    /// <summary>
    /// The three sources through the indexes: content and latent ANN (HNSW; with a filter, pgvector's iterative scans
    /// keep going until enough rows match) and trending (b-tree on the trend key).
    /// </summary>
    private async Task<List<CandidateRow>> IndexedCandidatesAsync(IQueryable<Listing> pool, UserTaste taste, ListingFilter? filter,
        int perSource, int trending, CancellationToken ct)
    {
        var candidates = new List<CandidateRow>();
        if (taste.Content is { } content)
        {
            // steered into the filter's region, so the index walk starts among listings the filter keeps
            var v = new Vector(filter is null ? content : ContentEncoder.Steer(content, filter));
            candidates.AddRange(await Project(pool.Where(l => l.ContentVector != null).OrderBy(l => l.ContentVector!.CosineDistance(v)).Take(perSource))
                .ToListAsync(ct));
        }
        if (taste.Latent is { } latent)
        {
            var v = new Vector(latent);
            candidates.AddRange(await pool.Join(db.ListingFactors, l => l.Id, f => f.ListingId, (l, f) => new { l, f })
                .OrderBy(x => x.f.Factors.MaxInnerProduct(v)).Take(perSource)
                .Select(x => new CandidateRow(x.l.Id, x.l.Make, x.l.Model, x.l.Year, x.l.Price, x.l.BodyType, x.l.ContentVector, x.f.Factors,
                    x.l.TrendKey, x.l.Latitude, x.l.Longitude))
                .ToListAsync(ct));
        }
        if (taste.CarModels.Top(CarModelSourceModels) is { Count: > 0 } models)
        {
            // the hottest listings of the car models the car-model EASE proposes (b-tree on status, car model, trend key)
            candidates.AddRange(await Project(pool.Where(l => models.Contains(l.CarModel)).OrderByDescending(l => l.TrendKey).ThenByDescending(l => l.Id)
                .Take(perSource)).ToListAsync(ct));
        }
        candidates.AddRange(await Project(pool.OrderByDescending(l => l.TrendKey).ThenByDescending(l => l.Id).Take(trending)).ToListAsync(ct));
        return candidates;
    }

    /// <summary>
    /// The three sources computed exactly over a selective filter's matches, or null when more than
    /// <see cref="ExactFilterLimit"/> listings match. A selective filter is the index scans' worst case: an HNSW
    /// iterative scan visits thousands of non-matching neighbours (up to hnsw.max_scan_tuples) before giving up, and the
    /// trending b-tree walks most of the catalogue; reading a few thousand matching rows once through the filter's own
    /// indexes and ranking them in memory is cheaper, and exact.
    /// Whether the filter is selective is first asked of the planner's estimate (planning only, under a millisecond):
    /// counting the matches took 13–130 ms at 1M listings, as long as the index scans it was meant to spare. The
    /// estimate can be low for correlated filters (a Porsche convertible: estimated 154, 1,517 match), so the exact read
    /// stops at <see cref="ExactFilterLimit"/> + 1 rows and gives way to the indexes when it gets that many.
    /// </summary>
    private async Task<List<CandidateRow>?> ExactCandidatesAsync(IQueryable<Listing> pool, UserTaste taste, int perSource, int trending,
        CancellationToken ct)
    {
        if (await EstimatedRowsAsync(pool, ct) > ExactFilterLimit) return null;
        var rows = await Project(pool).Take(ExactFilterLimit + 1).ToListAsync(ct);
        if (rows.Count > ExactFilterLimit) return null;
        var candidates = new List<CandidateRow>();
        if (taste.Content is { } content)
            candidates.AddRange(rows.Where(r => r.Content is not null)
                .OrderByDescending(r => Similarity(TensorPrimitives.CosineSimilarity(r.Content!.Memory.Span, content))).ThenBy(r => r.Id).Take(perSource));
        if (taste.Latent is { } latent)
            candidates.AddRange(rows.Where(r => r.Latent is not null)
                .OrderByDescending(r => Similarity(TensorPrimitives.Dot(r.Latent!.Memory.Span, latent))).ThenBy(r => r.Id).Take(perSource));
        if (taste.CarModels.Top(CarModelSourceModels) is { Count: > 0 } models)
        {
            var wanted = models.ToHashSet(StringComparer.Ordinal);
            candidates.AddRange(rows.Where(r => wanted.Contains(CarModelEase.Key(r.Make, r.Model)))
                .OrderByDescending(r => r.TrendKey).ThenByDescending(r => r.Id).Take(perSource));
        }
        candidates.AddRange(rows.OrderByDescending(r => r.TrendKey).ThenByDescending(r => r.Id).Take(trending));
        return candidates;

        // a zero vector has no direction: last, not NaN (which would sort unpredictably)
        static float Similarity(float value) => float.IsNaN(value) ? float.NegativeInfinity : value;
    }

    /// <summary>The planner's estimate of how many rows <paramref name="query"/> returns (EXPLAIN: planned, not run).</summary>
    private async Task<double> EstimatedRowsAsync(IQueryable<Listing> query, CancellationToken ct)
    {
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            await using var cmd = query.Select(l => l.Id).CreateDbCommand();
            cmd.CommandText = "EXPLAIN (FORMAT JSON) " + cmd.CommandText;
            using var plan = JsonDocument.Parse((string)(await cmd.ExecuteScalarAsync(ct))!);
            return plan.RootElement[0].GetProperty("Plan").GetProperty("Plan Rows").GetDouble();
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    /// <summary>Computes the user's unfiltered list and stores it (one upsert); false when the user does not exist.</summary>
    public async Task<bool> RefreshAsync(long userId, CancellationToken ct)
    {
        var result = await RecommendAsync(userId, null, ListSize, ct);
        if (result is null) return false;
        await StoreAsync(userId, result, ct);
        return true;
    }

    /// <summary>
    /// Stores a user's list (one upsert), keeping only listings that are still active when it is written. A list
    /// computed from older vectors never replaces one computed from newer vectors: two refreshes of one user can
    /// overlap (one per pipeline), and the one that read first may finish last.
    /// </summary>
    public Task StoreAsync(long userId, RecommendationResult result, CancellationToken ct)
    {
        var ranked = result.Items;
        return db.Database.ExecuteSqlAsync($"""
            INSERT INTO recommendations (user_id, computed_at, vectors_as_of, listing_ids, scores, sources, reasons)
            SELECT {userId}, now(), {result.VectorsAsOf}, coalesce(array_agg(x.id ORDER BY x.ord), ARRAY[]::bigint[]), coalesce(array_agg(x.score ORDER BY x.ord), ARRAY[]::real[]),
                   coalesce(array_agg(x.source ORDER BY x.ord), ARRAY[]::text[]), coalesce(array_agg(x.reason ORDER BY x.ord), ARRAY[]::text[])
            FROM unnest({ranked.Select(r => r.ListingId).ToArray()}::bigint[], {ranked.Select(r => (float)r.Score).ToArray()}::real[],
                        {ranked.Select(r => r.Source.ToString()).ToArray()}::text[], {ranked.Select(r => r.Reason).ToArray()}::text[])
                 WITH ORDINALITY AS x(id, score, source, reason, ord)
            WHERE EXISTS (SELECT 1 FROM listings l WHERE l.id = x.id AND l.status = 'Active')
            ON CONFLICT (user_id) DO UPDATE SET computed_at = excluded.computed_at, vectors_as_of = excluded.vectors_as_of,
                listing_ids = excluded.listing_ids, scores = excluded.scores, sources = excluded.sources, reasons = excluded.reasons
            WHERE recommendations.vectors_as_of IS NULL
               OR (excluded.vectors_as_of IS NOT NULL AND excluded.vectors_as_of >= recommendations.vectors_as_of)
            """, ct);
    }

    /// <summary>Removes a listing from every precomputed list (it sold, or was withdrawn).</summary>
    public static async Task<int> DropFromListsAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, long listingId, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            UPDATE recommendations r
            SET listing_ids = r.listing_ids[:x.p - 1] || r.listing_ids[x.p + 1:],
                scores = r.scores[:x.p - 1] || r.scores[x.p + 1:],
                sources = r.sources[:x.p - 1] || r.sources[x.p + 1:],
                reasons = r.reasons[:x.p - 1] || r.reasons[x.p + 1:]
            FROM (SELECT user_id, array_position(listing_ids, $1) AS p FROM recommendations WHERE listing_ids @> ARRAY[$1]) x
            WHERE r.user_id = x.user_id
            """, conn, tx);
        cmd.Parameters.Add(new NpgsqlParameter { Value = listingId, NpgsqlDbType = NpgsqlDbType.Bigint });
        return await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Candidate rows of <paramref name="q"/> with their item factors, when they have some.</summary>
    private IQueryable<CandidateRow> Project(IQueryable<Listing> q) =>
        from l in q
        join f in db.ListingFactors on l.Id equals f.ListingId into factors
        from f in factors.DefaultIfEmpty()
        select new CandidateRow(l.Id, l.Make, l.Model, l.Year, l.Price, l.BodyType, l.ContentVector, f != null ? f.Factors : null, l.TrendKey,
            l.Latitude, l.Longitude);

    private sealed record CandidateRow(long Id, string Make, string Model, int Year, int Price, BodyType BodyType,
        Vector? Content, Vector? Latent, double TrendKey, double? Latitude, double? Longitude);
}

/// <summary>The user as ranking sees them, and the version of their vectors (users.vectors_updated_at) it read.</summary>
public sealed record UserContext(UserTaste Taste, double? Latitude, double? Longitude, DateTimeOffset? VectorsAsOf);

/// <summary>A ranked list and what it was computed from.</summary>
public sealed record RecommendationResult(IReadOnlyList<RankedListing> Items, DateTimeOffset? VectorsAsOf, int Candidates);
