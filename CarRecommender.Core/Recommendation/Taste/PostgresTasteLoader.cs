using CarRecommender.Core.Data;
using CarRecommender.Core.Domain;
using CarRecommender.Core.Learning;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Pgvector;

namespace CarRecommender.Core.Recommendation.Taste;

/// <summary>
/// The taste stage over PostgreSQL: the user's vectors and location, their newest <see cref="HistoryLimit"/> listings
/// with what they did with each (the strongest kind they stand by, a veto, the price drop since they last acted), and
/// the car-model EASE's affinity for the models they like.
/// </summary>
public sealed class PostgresTasteLoader(CarRecommenderDb db) : ITasteLoader
{
    /// <summary>How much of a user's history ranking looks at (most recent listings first).</summary>
    public const int HistoryLimit = 300;

    public ValueTask<UserContext?> LoadAsync(long userId, CancellationToken ct) => LoadAsync(userId, null, ct);

    /// <summary>
    /// The user as ranking saw them at <paramref name="asOf"/> (null: now), as near as the database can tell: the history
    /// is the events before it, but the vectors and the car-model links are today's (neither is versioned per user).
    /// </summary>
    public async ValueTask<UserContext?> LoadAsync(long userId, DateTimeOffset? asOf, CancellationToken ct)
    {
        var user = await db.Users.AsNoTracking().Where(u => u.Id == userId)
            .Select(u => new { u.ContentVector, u.LatentVector, u.InteractionCount, u.Latitude, u.Longitude, u.VectorsUpdatedAt })
            .SingleOrDefaultAsync(ct);
        if (user is null) return null;
        var conn = (NpgsqlConnection)db.Database.GetDbConnection();
        var opened = conn.State != System.Data.ConnectionState.Open;
        if (opened) await conn.OpenAsync(ct);
        try
        {
            var history = await HistoryAsync(conn, userId, asOf, ct);
            var taste = new UserTaste(user.ContentVector?.ToArray(), user.LatentVector?.ToArray(), user.InteractionCount, history)
            {
                CarModels = await CarModelAffinityAsync(conn, history, ct),
            };
            return new UserContext(taste, user.Latitude, user.Longitude, user.VectorsUpdatedAt);
        }
        finally
        {
            if (opened) await conn.CloseAsync();
        }
    }

    private static async Task<List<HistoryItem>> HistoryAsync(NpgsqlConnection conn, long userId, DateTimeOffset? asOf, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand($"""
            SELECT h.listing_id, l.make, l.model, l.year, h.strongest, h.dismissed, l.content_vector, f.factors,
                   -- the euro price when the user last acted on it (the newest price then, else the first change's
                   -- previous price) less today's: a price drop to tell them about
                   coalesce((SELECT p.price FROM price_history p WHERE p.listing_id = h.listing_id AND p.changed_at <= h.last_at
                             ORDER BY p.changed_at DESC, p.id DESC LIMIT 1),
                            (SELECT p.previous_price FROM price_history p WHERE p.listing_id = h.listing_id AND p.changed_at > h.last_at
                             ORDER BY p.changed_at, p.id LIMIT 1)) - l.price AS price_drop, l.price
            FROM (SELECT listing_id,
                         {EventCatalogue.SqlStrongest} AS strongest,
                         {EventCatalogue.SqlVetoed} AS dismissed,
                         max(occurred_at) AS last_at
                  FROM interactions WHERE user_id = $1 AND ($3::timestamptz IS NULL OR occurred_at < $3)
                  GROUP BY listing_id ORDER BY last_at DESC LIMIT $2) h
            JOIN listings l ON l.id = h.listing_id
            LEFT JOIN listing_factors f ON f.listing_id = h.listing_id
            """, conn);
        cmd.Parameters.AddWithValue(userId);
        cmd.Parameters.AddWithValue(HistoryLimit);
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)asOf ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
        var history = new List<HistoryItem>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            history.Add(new HistoryItem(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetInt32(3),
                reader.IsDBNull(4) ? null : Enum.Parse<InteractionType>(reader.GetString(4)), reader.GetBoolean(5),
                reader.IsDBNull(6) ? null : reader.GetFieldValue<Vector>(6).ToArray(),
                reader.IsDBNull(7) ? null : reader.GetFieldValue<Vector>(7).ToArray())
            {
                PriceDrop = reader.IsDBNull(8) || reader.GetInt32(8) <= 0 ? null : reader.GetInt32(8),
                Price = reader.GetInt32(9),
            });
        return history;
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
}
