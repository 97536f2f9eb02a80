using CarRecommender.Core.Data;
using CarRecommender.Core.Domain;
using CarRecommender.Core.Recommendation.Ranking;
using CarRecommender.Core.Recommendation.Rules;
using CarRecommender.Core.Search;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;

namespace CarRecommender.Core.Recommendation.Store;

/// <summary>One listing of a stored list, with what ranking said of it and the business rules' notes.</summary>
public sealed record StoredPick(Listing Listing, double Score, string Source, string Reason, IReadOnlyList<string> Notes)
{
    public bool IsPromoted(DateTimeOffset now) => Listing.PromotedUntil > now;
}

/// <summary>A stored list as served: its best picks passing the request's filter, and when it was computed.</summary>
public sealed record StoredList(DateTimeOffset ComputedAt, IReadOnlyList<StoredPick> Items);

/// <summary>
/// The one owner of the <c>recommendations</c> table: each user's precomputed list (<see cref="ListSize"/> listings,
/// with scores, sources and reasons). The worker writes it after every change to a user's vectors; the API reads it,
/// and writes it only when it had to compute an unfiltered list itself (no list yet, or one gone stale).
/// </summary>
public sealed class RecommendationStore(CarRecommenderDb db, ServingRanker? ranker = null)
{
    /// <summary>How many recommendations a precomputed list holds (and so the largest unfiltered limit it serves).</summary>
    public const int ListSize = 50;
    /// <summary>A cold user's list is only trending, so it is recomputed when older than this.</summary>
    public static readonly TimeSpan ColdListMaxAge = TimeSpan.FromMinutes(15);
    public static readonly TimeSpan ListMaxAge = TimeSpan.FromHours(6);

    /// <summary>
    /// The user's stored picks that are still active, pass <paramref name="filter"/> (null: any) and are not in
    /// <paramref name="exclude"/>, in the list's order, when there are at least <paramref name="limit"/>; else null (no
    /// list, too old, ranked under other settings, a promotion started or ended since, or too few left), and the caller
    /// ranks live. A ranking restricted to a filter keeps the order of the unrestricted one, so for every match the list
    /// holds this is the live answer (promoted picks re-slotted, so a filter never crowds them together); a filter the
    /// list cannot fill (a selective one, or one far from the user's taste) runs live, where steering and the exact
    /// sources look beyond the list.
    /// </summary>
    public async Task<StoredList?> ReadAsync(long userId, ListingFilter? filter, int limit, CancellationToken ct) =>
        await ReadAsync(userId, filter, limit, RecommendationRequest.EmptyIds, EngineSettings.Default, DateTimeOffset.UtcNow, ct);

    /// <remarks>
    /// One query: the list, what decides whether it is still good, and its listings that pass the filter (a lateral
    /// key lookup per stored id).
    /// </remarks>
    public async Task<StoredList?> ReadAsync(long userId, ListingFilter? filter, int limit, IReadOnlySet<long> exclude, EngineSettings settings,
        DateTimeOffset now, CancellationToken ct)
    {
        var shown = db.Listings.AsNoTracking().Matching((filter ?? new ListingFilter()) with { Status = ListingStatus.Active });
        if (exclude.Count > 0)
        {
            var excluded = exclude.ToArray();
            shown = shown.Where(l => !excluded.Contains(l.Id));
        }
        var stored = await db.Recommendations.AsNoTracking().Where(r => r.UserId == userId)
            .Select(r => new
            {
                r.ComputedAt,
                Size = r.ListingIds.Length,
                r.Settings,
                Cold = db.Users.Where(u => u.Id == userId).Select(u => u.ContentVector == null && u.LatentVector == null).FirstOrDefault(),
                // promoted listings are decided when the list is made: one promoted or ended since makes it stale
                PromotionsChanged = db.Listings.Any(l => l.PromotedAt > r.ComputedAt)
                                    || db.Listings.Any(l => l.PromotedUntil > r.ComputedAt && l.PromotedUntil <= now),
                // joined on unnest(listing_ids), a key lookup per id (Contains became `listing_ids @> ARRAY[id]`, a scan of
                // every listing); each row carries its own score, source, reason and notes, not the list's arrays (a row
                // of the result per listing would repeat them all, 50 reasons 50 times)
                Picks = r.ListingIds.AsQueryable().Join(shown.Select(Shown), id => id, l => l.Id, (id, l) => new StoredRow
                {
                    Listing = l,
                    Position = Array.IndexOf(r.ListingIds, id),
                    Score = r.Scores[Array.IndexOf(r.ListingIds, id)],
                    Source = r.Sources[Array.IndexOf(r.ListingIds, id)],
                    Reason = r.Reasons[Array.IndexOf(r.ListingIds, id)],
                    Notes = r.Notes[Array.IndexOf(r.ListingIds, id)],
                }).ToList(),
            })
            .SingleOrDefaultAsync(ct);
        // a list ranked by an older learned model (or by the blend before a model served) is ranked afresh
        var key = settings.StoreKey(settings.UsesLearnedRanker && ranker is not null ? (await ranker.CurrentAsync(ct)).Version : null);
        if (stored is null || stored.Size < limit || stored.Settings != key || stored.PromotionsChanged
            || TooOld(stored.ComputedAt, stored.Cold))
            return null;
        // sold listings took the list below the limit, or the filter keeps too few: rank afresh rather than serve it short
        if (stored.Picks.Count < limit) return null;
        var picks = stored.Picks.OrderBy(p => p.Position).Select(p => new StoredPick(p.Listing, Math.Round(p.Score, 4), p.Source, p.Reason,
            p.Notes is { Length: > 0 } notes ? notes.Split('\n') : [])).ToList();
        var items = ListRules.Slot(picks.Where(p => !p.IsPromoted(now)).ToList(), picks.Where(p => p.IsPromoted(now)).ToList(), settings.Rules, limit);
        return items.Count < limit ? null : new StoredList(stored.ComputedAt, items);
    }

    /// <summary>One stored pick as read: its listing, its place in the list and what the list says of it.</summary>
    private sealed class StoredRow
    {
        public required Listing Listing { get; init; }
        public int Position { get; init; }
        public float Score { get; init; }
        public required string Source { get; init; }
        public required string Reason { get; init; }
        public string? Notes { get; init; }
    }

    /// <summary>
    /// The columns a served list shows of a listing (and its promotion), read instead of the whole row: the content
    /// vector, the attributes and the counters are most of a row's bytes, and a list reads up to <see cref="ListSize"/> rows.
    /// </summary>
    public static readonly System.Linq.Expressions.Expression<Func<Listing, Listing>> Shown = l => new Listing
    {
        Id = l.Id,
        Make = l.Make,
        Model = l.Model,
        Year = l.Year,
        Price = l.Price,
        MileageKm = l.MileageKm,
        Fuel = l.Fuel,
        Transmission = l.Transmission,
        BodyType = l.BodyType,
        PowerKw = l.PowerKw,
        Colour = l.Colour,
        SellerType = l.SellerType,
        City = l.City,
        Status = l.Status,
        CreatedAt = l.CreatedAt,
        SellerId = l.SellerId,
        PromotedUntil = l.PromotedUntil,
        AskingPrice = l.AskingPrice,
        Currency = l.Currency,
        // its market price, by the key of listing_prices (a left join)
        MarketPrice = l.MarketPrice,
    };

    /// <summary>A stored list is served while younger than <see cref="ListMaxAge"/> (a cold user's, <see cref="ColdListMaxAge"/>).</summary>
    private static bool TooOld(DateTimeOffset computedAt, bool cold) => DateTimeOffset.UtcNow - computedAt > (cold ? ColdListMaxAge : ListMaxAge);

    /// <summary>
    /// Stores a user's list (one upsert), keeping only listings that are still active when it is written. A list
    /// computed from older vectors never replaces one computed from newer vectors: two refreshes of one user can
    /// overlap (one per pipeline), and the one that read first may finish last.
    /// </summary>
    public Task SaveAsync(long userId, RecommendationResult result, CancellationToken ct) => SaveAsync(userId, result, EngineSettings.Default, ct);

    /// <summary>Stores a list ranked under <paramref name="settings"/> (their fingerprint is kept with it).</summary>
    public Task SaveAsync(long userId, RecommendationResult result, EngineSettings settings, CancellationToken ct)
    {
        var ranked = result.Items;
        return db.Database.ExecuteSqlAsync($"""
            INSERT INTO recommendations (user_id, computed_at, vectors_as_of, listing_ids, scores, sources, reasons, notes, settings)
            SELECT {userId}, now(), {result.VectorsAsOf}, coalesce(array_agg(x.id ORDER BY x.ord), ARRAY[]::bigint[]), coalesce(array_agg(x.score ORDER BY x.ord), ARRAY[]::real[]),
                   coalesce(array_agg(x.source ORDER BY x.ord), ARRAY[]::text[]), coalesce(array_agg(x.reason ORDER BY x.ord), ARRAY[]::text[]),
                   coalesce(array_agg(x.notes ORDER BY x.ord), ARRAY[]::text[]), {settings.StoreKey(result.RankerVersion)}
            FROM unnest({ranked.Select(r => r.ListingId).ToArray()}::bigint[], {ranked.Select(r => (float)r.Score).ToArray()}::real[],
                        {ranked.Select(r => r.Source.ToString()).ToArray()}::text[], {ranked.Select(r => r.Reason).ToArray()}::text[],
                        {ranked.Select(r => string.Join('\n', r.Notes)).ToArray()}::text[])
                 WITH ORDINALITY AS x(id, score, source, reason, notes, ord)
            WHERE EXISTS (SELECT 1 FROM listings l WHERE l.id = x.id AND l.status = 'Active')
            ON CONFLICT (user_id) DO UPDATE SET computed_at = excluded.computed_at, vectors_as_of = excluded.vectors_as_of,
                listing_ids = excluded.listing_ids, scores = excluded.scores, sources = excluded.sources, reasons = excluded.reasons,
                notes = excluded.notes, settings = excluded.settings
            WHERE recommendations.vectors_as_of IS NULL
               OR (excluded.vectors_as_of IS NOT NULL AND excluded.vectors_as_of >= recommendations.vectors_as_of)
            """, ct);
    }

    /// <summary>The users whose stored list holds any of <paramref name="listingIds"/>.</summary>
    public static async Task<List<long>> HoldersAsync(NpgsqlDataSource dataSource, long[] listingIds, CancellationToken ct)
    {
        var users = new List<long>();
        if (listingIds.Length == 0) return users;
        await using var cmd = dataSource.CreateCommand("SELECT user_id FROM recommendations WHERE listing_ids && $1");
        cmd.Parameters.AddWithValue(listingIds);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) users.Add(reader.GetInt64(0));
        return users;
    }

    /// <summary>
    /// Users whose list is older than their vectors or than the newest model, or who have vectors and no list, the
    /// longest-waiting first (the worker's sweep re-queues them).
    /// </summary>
    public static async Task<List<long>> StaleAsync(NpgsqlDataSource dataSource, int max, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand("""
            SELECT u.id FROM users u LEFT JOIN recommendations r ON r.user_id = u.id
            WHERE u.vectors_updated_at IS NOT NULL
              AND (r.computed_at IS NULL OR r.vectors_as_of IS DISTINCT FROM u.vectors_updated_at
                   OR r.computed_at < (SELECT max(created_at) FROM model_versions)
                   OR r.computed_at < (SELECT max(trained_at) FROM ranker_models WHERE serving))
            ORDER BY r.computed_at NULLS FIRST
            LIMIT $1
            """);
        cmd.Parameters.AddWithValue(max);
        var users = new List<long>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) users.Add(reader.GetInt64(0));
        return users;
    }

    /// <summary>Removes a listing from every precomputed list (it sold, or was withdrawn), in the caller's transaction.</summary>
    public static async Task<int> DropListingAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, long listingId, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            UPDATE recommendations r
            SET listing_ids = r.listing_ids[:x.p - 1] || r.listing_ids[x.p + 1:],
                scores = r.scores[:x.p - 1] || r.scores[x.p + 1:],
                sources = r.sources[:x.p - 1] || r.sources[x.p + 1:],
                reasons = r.reasons[:x.p - 1] || r.reasons[x.p + 1:],
                notes = r.notes[:x.p - 1] || r.notes[x.p + 1:]
            FROM (SELECT user_id, array_position(listing_ids, $1) AS p FROM recommendations WHERE listing_ids @> ARRAY[$1]) x
            WHERE r.user_id = x.user_id
            """, conn, tx);
        cmd.Parameters.Add(new NpgsqlParameter { Value = listingId, NpgsqlDbType = NpgsqlDbType.Bigint });
        return await cmd.ExecuteNonQueryAsync(ct);
    }
}
