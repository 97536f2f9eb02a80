using CarRecommender.Api.Listings;
using CarRecommender.Core.Domain;
using Npgsql;

namespace CarRecommender.Api.Admin;

/// <summary>Listing grid filters (all optional).</summary>
public sealed record ListingGridFilter(string? Text = null, BodyType? Body = null, FuelType? Fuel = null, ListingStatus? Status = null,
    int? MaxPrice = null, int? MinYear = null);

/// <summary>
/// The admin console's reads, straight from PostgreSQL: every one is keyed, paged or sampled, so the console's pages stay
/// fast at 1,000,000 listings (no full-table loads; grid totals are counted up to <see cref="CountCap"/>).
/// </summary>
public sealed class AdminQueries(NpgsqlDataSource dataSource)
{
    /// <summary>Filtered grid totals are counted up to this many rows ("10,000+").</summary>
    public const int CountCap = 10_000;

    /// <summary>The overview's counts (<see cref="OverviewCache"/> serves them to callers).</summary>
    public async Task<OverviewDto> OverviewAsync(DateTimeOffset countedAt, CancellationToken ct)
    {
        // one pass over the listings and one over the last 24 hours of interactions (today's are among them)
        await using var cmd = dataSource.CreateCommand("""
            SELECT l.active, l.sold, (SELECT count(*) FROM users), i.today,
                   (SELECT count(*) FROM outbox),
                   (SELECT extract(epoch FROM now() - min(created_at))::float8 FROM outbox),
                   i.attributed, i.attributed_views, i.views, (SELECT count(*) FROM dead_letters)
            FROM (SELECT count(*) FILTER (WHERE status = 'Active') AS active, count(*) FILTER (WHERE status = 'Sold') AS sold
                  FROM listings) l,
                 (SELECT count(*) FILTER (WHERE occurred_at >= date_trunc('day', now())) AS today,
                         count(*) FILTER (WHERE recommendation_id IS NOT NULL) AS attributed,
                         count(*) FILTER (WHERE recommendation_id IS NOT NULL AND type = 'View') AS attributed_views,
                         count(*) FILTER (WHERE type = 'View') AS views
                  FROM interactions WHERE occurred_at >= now() - interval '24 hours') i
            """);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        await r.ReadAsync(ct);
        return new OverviewDto(r.GetInt64(0), r.GetInt64(1), r.GetInt64(2), r.GetInt64(3), r.GetInt64(4),
            r.IsDBNull(5) ? null : r.GetDouble(5), r.GetInt64(6), r.GetInt64(7), r.GetInt64(8), r.GetInt64(9), countedAt);
    }

    /// <summary>Events per minute over the last <paramref name="minutes"/> minutes (minutes without events included as 0).</summary>
    public async Task<List<MinuteCountDto>> EventsPerMinuteAsync(int minutes, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand("""
            WITH span AS (SELECT date_trunc('minute', now()) - make_interval(mins => $1 - 1) AS first, date_trunc('minute', now()) AS last),
                 counted AS (SELECT date_trunc('minute', occurred_at) AS m, count(*) AS n FROM interactions, span
                             WHERE occurred_at >= span.first GROUP BY 1)
            SELECT m, coalesce(counted.n, 0)
            FROM span, generate_series(span.first, span.last, interval '1 minute') m LEFT JOIN counted USING (m)
            ORDER BY m
            """);
        cmd.Parameters.AddWithValue(minutes);
        var result = new List<MinuteCountDto>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) result.Add(new MinuteCountDto(r.GetFieldValue<DateTimeOffset>(0), r.GetInt64(1)));
        return result;
    }

    /// <summary>The newest model versions, newest first.</summary>
    public async Task<List<ModelVersionDto>> ModelVersionsAsync(int limit, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand("""
            SELECT id, created_at, factors, iterations, regularization, alpha, users, items, interactions, duration_ms, train_ms, loss,
                   loss_history, cold_items, trigger, confidence, regularization_exponent, validation_ndcg, search::text,
                   car_models, car_model_lambda, car_model_validation_ndcg
            FROM model_versions ORDER BY created_at DESC LIMIT $1
            """);
        cmd.Parameters.AddWithValue(limit);
        var result = new List<ModelVersionDto>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
            result.Add(new ModelVersionDto(r.GetInt64(0), r.GetFieldValue<DateTimeOffset>(1), r.GetInt32(2), r.GetInt32(3), r.GetDouble(4), r.GetDouble(5),
                r.GetInt32(6), r.GetInt32(7), r.GetInt64(8), r.GetInt64(9), r.GetInt64(10), r.GetDouble(11), r.GetFieldValue<double[]>(12),
                r.GetInt32(13), r.GetString(14), r.GetString(15), r.GetDouble(16), r.IsDBNull(17) ? null : r.GetDouble(17),
                r.IsDBNull(18) ? null : System.Text.Json.JsonSerializer.Deserialize<ModelSearchDto>(r.GetString(18), System.Text.Json.JsonSerializerOptions.Web),
                r.GetInt32(19), r.IsDBNull(20) ? null : r.GetDouble(20), r.IsDBNull(21) ? null : r.GetDouble(21)));
        return result;
    }

    public async Task<AdminUserDetailDto?> UserAsync(long id, CancellationToken ct)
    {
        await using var batch = dataSource.CreateBatch();
        batch.BatchCommands.Add(Command("""
            SELECT id, email, display_name, role, city, interaction_count, vectors_updated_at, created_at, content_vector, latent_vector
            FROM users WHERE id = $1
            """, id));
        batch.BatchCommands.Add(Command("SELECT type, count(*) FROM interactions WHERE user_id = $1 GROUP BY type", id));
        await using var r = await batch.ExecuteReaderAsync(ct);
        if (!await r.ReadAsync(ct)) return null;
        var (userId, email, name, role, city, count) = (r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3), r.IsDBNull(4) ? null : r.GetString(4), r.GetInt32(5));
        var updated = r.IsDBNull(6) ? (DateTimeOffset?)null : r.GetFieldValue<DateTimeOffset>(6);
        var created = r.GetFieldValue<DateTimeOffset>(7);
        var content = r.IsDBNull(8) ? null : r.GetFieldValue<Pgvector.Vector>(8).ToArray();
        var latent = r.IsDBNull(9) ? null : r.GetFieldValue<Pgvector.Vector>(9).ToArray();
        await r.NextResultAsync(ct);
        var counts = new Dictionary<string, long>();
        while (await r.ReadAsync(ct)) counts[r.GetString(0)] = r.GetInt64(1);
        return new AdminUserDetailDto(userId, email, name, role, city, count, updated, created, content, latent, counts);
    }

    /// <summary>The user's events per day and type over the last <paramref name="days"/> days.</summary>
    public async Task<List<TimelineDayDto>> TimelineAsync(long userId, int days, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand("""
            SELECT (occurred_at AT TIME ZONE 'UTC')::date, type, count(*) FROM interactions
            WHERE user_id = $1 AND occurred_at >= now() - make_interval(days => $2)
            GROUP BY 1, 2 ORDER BY 1
            """);
        cmd.Parameters.AddWithValue(userId);
        cmd.Parameters.AddWithValue(days);
        var result = new List<TimelineDayDto>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) result.Add(new TimelineDayDto(DateOnly.FromDateTime(r.GetDateTime(0)), r.GetString(1), r.GetInt64(2)));
        return result;
    }

    /// <summary>The user's latest events, newest first.</summary>
    public async Task<List<UserInteractionDto>> RecentInteractionsAsync(long userId, int limit, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand("""
            SELECT i.occurred_at, i.type, i.listing_id, l.year || ' ' || l.make || ' ' || l.model, i.recommendation_id
            FROM interactions i JOIN listings l ON l.id = i.listing_id
            WHERE i.user_id = $1 ORDER BY i.occurred_at DESC LIMIT $2
            """);
        cmd.Parameters.AddWithValue(userId);
        cmd.Parameters.AddWithValue(limit);
        var result = new List<UserInteractionDto>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
            result.Add(new UserInteractionDto(r.GetFieldValue<DateTimeOffset>(0), r.GetString(1), r.GetInt64(2), r.GetString(3),
                r.IsDBNull(4) ? null : r.GetGuid(4)));
        return result;
    }

    /// <summary>A page (from 1) of the listing grid, newest first.</summary>
    public async Task<CappedPageDto<AdminListingDto>> ListingsAsync(ListingGridFilter filter, int page, int pageSize, CancellationToken ct)
    {
        var (where, parameters) = ListingWhere(filter);
        await using var batch = dataSource.CreateBatch();
        batch.BatchCommands.Add(Command($"""
            SELECT {ListingColumns} FROM listings {WithPopularity} WHERE {where} ORDER BY id DESC LIMIT {pageSize} OFFSET {(page - 1) * pageSize}
            """, parameters));
        batch.BatchCommands.Add(Command($"SELECT count(*) FROM (SELECT 1 FROM listings WHERE {where} LIMIT {CountCap + 1}) c", parameters));
        await using var r = await batch.ExecuteReaderAsync(ct);
        var items = new List<AdminListingDto>();
        while (await r.ReadAsync(ct)) items.Add(ReadListing(r));
        await r.NextResultAsync(ct);
        await r.ReadAsync(ct);
        var total = r.GetInt64(0);
        return new CappedPageDto<AdminListingDto>(items, page, pageSize, Math.Min(total, CountCap), total > CountCap);
    }

    public async Task<AdminListingDetailDto?> ListingAsync(long id, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand($"""
            SELECT {ListingColumns}, transmission, power_kw, colour, seller_type, created_at, content_vector,
                   EXISTS (SELECT 1 FROM listing_factors f WHERE f.listing_id = $1),
                   (SELECT count(*) FROM interactions WHERE listing_id = $1), promoted_until, seller_id,
                   coalesce(nullif(asking_price, 0), price), mp.model_version, mp.currency, mp.estimate, mp.low, mp.high, mp.deviation, mp.rating
            FROM listings {WithPopularity} LEFT JOIN listing_prices mp ON mp.listing_id = listings.id WHERE id = $1
            """);
        cmd.Parameters.AddWithValue(id);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        if (!await r.ReadAsync(ct)) return null;
        var market = r.IsDBNull(24) ? null : new ListingPrice
        {
            ModelVersion = r.GetInt32(24),
            Currency = r.GetString(25),
            Estimate = r.GetDouble(26),
            Low = r.GetDouble(27),
            High = r.GetDouble(28),
            Deviation = r.GetDouble(29),
            Rating = Enum.Parse<Core.Pricing.DealRating>(r.GetString(30), ignoreCase: true),
        }.ToDto(r.GetInt32(23));
        return new AdminListingDetailDto(ReadListing(r), r.GetString(13), r.IsDBNull(14) ? null : r.GetInt32(14), r.GetString(15), r.GetString(16),
            r.GetFieldValue<DateTimeOffset>(17), r.IsDBNull(18) ? null : r.GetFieldValue<Pgvector.Vector>(18).ToArray(), r.GetBoolean(19),
            r.GetInt64(20), r.IsDBNull(21) ? null : r.GetFieldValue<DateTimeOffset>(21), r.IsDBNull(22) ? null : r.GetString(22), market);
    }

    /// <summary>
    /// A random sample of active listings' content vectors for the vector-space plot: a block sample of the table
    /// (TABLESAMPLE SYSTEM), so its cost does not grow with the catalogue.
    /// </summary>
    public async Task<List<VectorPointDto>> SampleListingVectorsAsync(int size, CancellationToken ct)
    {
        await using var estimate = dataSource.CreateCommand("SELECT greatest(reltuples, 0)::float8 FROM pg_class WHERE oid = 'listings'::regclass");
        var rows = (double)(await estimate.ExecuteScalarAsync(ct) ?? 0d);
        // percent of blocks to read: about twice the sample, at least the whole of a small table
        var percent = rows <= 0 ? 100 : Math.Clamp(200.0 * size / rows, 0.01, 100);
        await using var cmd = dataSource.CreateCommand($"""
            SELECT id, year || ' ' || make || ' ' || model, body_type, price, content_vector
            FROM listings TABLESAMPLE SYSTEM ({percent.ToString(System.Globalization.CultureInfo.InvariantCulture)})
            WHERE status = 'Active' AND content_vector IS NOT NULL
            LIMIT $1
            """);
        cmd.Parameters.AddWithValue(size);
        return await ReadPointsAsync(cmd, ct);
    }

    public async Task<List<VectorPointDto>> ListingVectorsAsync(IReadOnlyCollection<long> ids, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand("""
            SELECT id, year || ' ' || make || ' ' || model, body_type, price, content_vector FROM listings
            WHERE id = ANY($1) AND content_vector IS NOT NULL
            """);
        cmd.Parameters.AddWithValue(ids.ToArray());
        return await ReadPointsAsync(cmd, ct);
    }

    private const string ListingColumns = "id, make, model, year, price, mileage_km, fuel, body_type, city, status, " +
        "coalesce(p.view_count, 0), coalesce(p.save_count, 0), coalesce(p.contact_count, 0)";

    /// <summary>The join that <see cref="ListingColumns"/>' counters come from.</summary>
    private const string WithPopularity = "LEFT JOIN listing_popularity p ON p.listing_id = listings.id";

    private static AdminListingDto ReadListing(NpgsqlDataReader r) => new(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetInt32(3),
        r.GetInt32(4), r.GetInt32(5), r.GetString(6), r.GetString(7), r.IsDBNull(8) ? null : r.GetString(8), r.GetString(9), r.GetInt32(10), r.GetInt32(11), r.GetInt32(12));

    private static async Task<List<VectorPointDto>> ReadPointsAsync(NpgsqlCommand cmd, CancellationToken ct)
    {
        var result = new List<VectorPointDto>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
            result.Add(new VectorPointDto(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetInt32(3), r.GetFieldValue<Pgvector.Vector>(4).ToArray()));
        return result;
    }

    /// <summary>The WHERE clause of the listing grid; values always travel as parameters.</summary>
    private static (string Where, object[] Parameters) ListingWhere(ListingGridFilter f)
    {
        var clauses = new List<string>();
        var parameters = new List<object>();
        string Next(object value)
        {
            parameters.Add(value);
            return "$" + parameters.Count;
        }
        if (!string.IsNullOrWhiteSpace(f.Text))
        {
            var text = f.Text.Trim();
            if (long.TryParse(text, out var id)) clauses.Add($"id = {Next(id)}");
            else
            {
                var p = Next(Core.Search.ListingFilterQuery.EscapeLike(text) + "%");
                clauses.Add($"(make ILIKE {p} OR model ILIKE {p} OR (make || ' ' || model) ILIKE {p})");
            }
        }
        if (f.Body is { } body) clauses.Add($"body_type = {Next(body.ToString())}");
        if (f.Fuel is { } fuel) clauses.Add($"fuel = {Next(fuel.ToString())}");
        if (f.Status is { } status) clauses.Add($"status = {Next(status.ToString())}");
        if (f.MaxPrice is { } maxPrice) clauses.Add($"price <= {Next(maxPrice)}");
        if (f.MinYear is { } minYear) clauses.Add($"year >= {Next(minYear)}");
        return (clauses.Count == 0 ? "true" : string.Join(" AND ", clauses), parameters.ToArray());
    }

    private static NpgsqlBatchCommand Command(string sql, params object[] parameters)
    {
        var cmd = new NpgsqlBatchCommand(sql);
        foreach (var p in parameters) cmd.Parameters.Add(new NpgsqlParameter { Value = p });
        return cmd;
    }
}
