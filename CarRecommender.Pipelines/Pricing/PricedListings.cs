using System.Data.Common;
using CarRecommender.Core.Domain;
using CarRecommender.Core.Pricing;
using Npgsql;
using NpgsqlTypes;

namespace CarRecommender.Pipelines.Pricing;

/// <summary>
/// Listings as the price model reads them, straight from a data reader (no entity tracking), and one listing's estimate
/// written under the active model of its market.
/// </summary>
public static class PricedListings
{
    /// <summary>The columns <see cref="Read"/> expects, in its order.</summary>
    public const string Columns = """
        id, make, model, year, price, asking_price, currency, mileage_km, fuel, transmission, body_type, power_kw,
        city, latitude, longitude, attributes::text
        """;

    public static Listing Read(DbDataReader r) => new()
    {
        Id = r.GetInt64(0),
        Make = r.GetString(1),
        Model = r.GetString(2),
        Year = r.GetInt32(3),
        Price = r.GetInt32(4),
        AskingPrice = r.GetInt32(5),
        Currency = r.GetString(6),
        MileageKm = r.GetInt32(7),
        Fuel = Enum.Parse<FuelType>(r.GetString(8)),
        Transmission = Enum.Parse<Transmission>(r.GetString(9)),
        BodyType = Enum.Parse<BodyType>(r.GetString(10)),
        PowerKw = r.IsDBNull(11) ? null : r.GetInt32(11),
        City = r.IsDBNull(12) ? null : r.GetString(12),
        Latitude = r.IsDBNull(13) ? null : r.GetDouble(13),
        Longitude = r.IsDBNull(14) ? null : r.GetDouble(14),
        Attributes = r.IsDBNull(15) ? null : r.GetString(15),
        Colour = "",
    };

    /// <summary>
    /// Estimates the active listings among <paramref name="ids"/> whose market has an active model and upserts their
    /// rows; a listing whose market has none keeps no estimate. Returns how many were estimated.
    /// </summary>
    public static async Task<int> EstimateAsync(NpgsqlDataSource dataSource, ActivePriceModels models, IReadOnlyCollection<long> ids, CancellationToken ct)
    {
        if (ids.Count == 0) return 0;
        var active = await models.CurrentAsync(ct);
        if (active.Count == 0) return 0;
        await using var cmd = dataSource.CreateCommand($"SELECT {Columns} FROM listings WHERE id = ANY($1) AND status = 'Active'");
        cmd.Parameters.AddWithValue(ids.ToArray());
        var features = new PriceFeatures();
        var estimated = new List<(long Id, ActivePriceModel Model, PriceEstimate Estimate)>();
        await using (var reader = await cmd.ExecuteReaderAsync(ct))
            while (await reader.ReadAsync(ct))
            {
                var row = features.Row(Read(reader));
                if (row.Price > 0 && active.TryGetValue(row.Currency, out var model))
                    estimated.Add((reader.GetInt64(0), model, model.Model.Estimate(row)));
            }
        if (estimated.Count == 0) return 0;
        await using var upsert = dataSource.CreateCommand("""
            INSERT INTO listing_prices (listing_id, model_id, model_version, currency, estimate, low, high, deviation, rating, estimated_at)
            SELECT u.*, now() FROM unnest($1::bigint[], $2::bigint[], $3::int[], $4::text[], $5::float8[], $6::float8[], $7::float8[], $8::float8[], $9::text[]) AS u
            ON CONFLICT (listing_id) DO UPDATE SET model_id = excluded.model_id, model_version = excluded.model_version, currency = excluded.currency,
                estimate = excluded.estimate, low = excluded.low, high = excluded.high, deviation = excluded.deviation, rating = excluded.rating,
                estimated_at = excluded.estimated_at
            """);
        upsert.Parameters.AddWithValue(estimated.Select(e => e.Id).ToArray());
        upsert.Parameters.AddWithValue(estimated.Select(e => e.Model.Id).ToArray());
        upsert.Parameters.AddWithValue(estimated.Select(e => e.Model.Version).ToArray());
        upsert.Parameters.Add(new NpgsqlParameter { Value = estimated.Select(e => e.Estimate.Currency).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        upsert.Parameters.AddWithValue(estimated.Select(e => e.Estimate.Estimate).ToArray());
        upsert.Parameters.AddWithValue(estimated.Select(e => e.Estimate.Low).ToArray());
        upsert.Parameters.AddWithValue(estimated.Select(e => e.Estimate.High).ToArray());
        upsert.Parameters.AddWithValue(estimated.Select(e => e.Estimate.Deviation).ToArray());
        upsert.Parameters.Add(new NpgsqlParameter { Value = estimated.Select(e => DealRatings.Name(e.Estimate.Rating)).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        await upsert.ExecuteNonQueryAsync(ct);
        return estimated.Count;
    }
}
