using System.Globalization;
using CarRecommender.Core.Domain;
using CarRecommender.Core.Learning;
using Npgsql;

namespace CarRecommender.Core.Evaluation;

/// <summary>The product's own interaction log, read for offline evaluation (CLI <c>evaluate</c> and the admin console).</summary>
public static class ProductLog
{
    /// <summary>What the hybrid needs to know of the listings in the log.</summary>
    public static async Task<Dictionary<string, ListingFeatures>> FeaturesAsync(NpgsqlDataSource dataSource, InteractionLog log, CancellationToken ct)
    {
        var result = new Dictionary<string, ListingFeatures>();
        await using var cmd = dataSource.CreateCommand("SELECT id, make, model, year, price, body_type, content_vector FROM listings WHERE id = ANY($1)");
        cmd.Parameters.AddWithValue(log.ItemIds.Select(id => long.Parse(id, CultureInfo.InvariantCulture)).ToArray());
        cmd.CommandTimeout = 0;
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            result[reader.GetInt64(0).ToString(CultureInfo.InvariantCulture)] = new ListingFeatures(reader.GetString(1), reader.GetString(2),
                reader.GetInt32(3), reader.GetInt32(4), Enum.Parse<BodyType>(reader.GetString(5)),
                reader.IsDBNull(6) ? null : reader.GetFieldValue<Pgvector.Vector>(6).ToArray());
        return result;
    }

    /// <summary>The product's log: strength per (user, listing) by the production rule, latest event time as timestamp.</summary>
    public static async Task<InteractionLog> LoadAsync(NpgsqlDataSource dataSource, CancellationToken ct)
    {
        var rows = new List<(string, string, float, long?)>();
        await using var cmd = dataSource.CreateCommand($"""
            SELECT user_id, listing_id, strength, last_at
            FROM (SELECT user_id, listing_id, {ImplicitFeedback.SqlStrength} AS strength, max(occurred_at) AS last_at
                  FROM interactions GROUP BY user_id, listing_id) s
            WHERE strength > 0
            """);
        cmd.CommandTimeout = 0;
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            rows.Add((reader.GetInt64(0).ToString(CultureInfo.InvariantCulture), reader.GetInt64(1).ToString(CultureInfo.InvariantCulture),
                (float)reader.GetDouble(2), reader.GetFieldValue<DateTimeOffset>(3).ToUnixTimeSeconds()));
        }
        return InteractionLog.Aggregate(rows);
    }
}
