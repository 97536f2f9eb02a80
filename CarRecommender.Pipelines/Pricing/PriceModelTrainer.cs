using System.Diagnostics;
using System.Text.Json;
using CarRecommender.Core.Data;
using CarRecommender.Core.Domain;
using CarRecommender.Core.Pricing;
using CarRecommender.Telemetry;
using Npgsql;
using NpgsqlTypes;

namespace CarRecommender.Pipelines.Pricing;

/// <summary>What one market's training did: the version switched in, or why there is none.</summary>
/// <param name="Seconds">Reading, training and estimating.</param>
/// <param name="SwitchSeconds">The switch's transaction.</param>
public sealed record TrainedMarket(string Market, int Rows, int? Version, double Seconds, CrossValidation? Validation, double SwitchSeconds = 0)
{
    public string Describe() => Version is { } v && Validation is { } cv
        ? $"{Market} v{v}: {Rows:N0} listings, median APE {cv.Model.MedianAbsolutePercentageError:P1} (baseline {cv.Baseline.MedianAbsolutePercentageError:P1}), "
          + $"{Seconds:0.0} s, switched in {SwitchSeconds:0.0} s"
        : $"{Market}: {Rows:N0} listings, too few to learn from";
}

/// <summary>
/// Trains the market price models over the active listings and switches each in. A market's listings are streamed
/// from PostgreSQL (a plain reader: no entities tracked), cross-validated and trained (<see cref="MarketPricing"/>), and
/// estimated; then one transaction inserts the model version, COPYs the estimates into a staging table, replaces the
/// market's <c>listing_prices</c> rows, flips the active flag and drops the bytes of versions past the newest
/// <see cref="PriceModelVersion.KeptModels"/>. A crash before the commit leaves the previous model and its estimates
/// as they were. Trainings never overlap within a worker (a semaphore), and switches never across workers (an
/// advisory lock in the transaction).
/// </summary>
public sealed class PriceModelTrainer(NpgsqlDataSource dataSource, PricingSettings settings, TimeProvider clock, CarRecommenderMetrics metrics)
{
    private const long SwitchLock = 0x70726963; // "pric"
    private readonly SemaphoreSlim _one = new(1, 1);

    /// <summary>Active listings per market (currency).</summary>
    public async Task<Dictionary<string, int>> MarketsAsync(CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand("SELECT currency, count(*)::int FROM listings WHERE status = 'Active' GROUP BY currency");
        var markets = new Dictionary<string, int>(StringComparer.Ordinal);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) markets[reader.GetString(0).ToUpperInvariant()] = reader.GetInt32(1);
        return markets;
    }

    /// <summary>Trains <paramref name="markets"/> (null: every market with active listings), one after the other.</summary>
    public async Task<IReadOnlyList<TrainedMarket>> TrainAsync(IReadOnlyCollection<string>? markets, string trigger, IProgress<LoadProgress>? progress,
        CancellationToken ct)
    {
        await _one.WaitAsync(ct);
        try
        {
            var wanted = markets ?? (await MarketsAsync(ct)).Keys.Order(StringComparer.Ordinal).ToList();
            var results = new List<TrainedMarket>();
            foreach (var market in wanted) results.Add(await TrainMarketAsync(market, trigger, progress, ct));
            return results;
        }
        finally
        {
            _one.Release();
        }
    }

    private async Task<TrainedMarket> TrainMarketAsync(string market, string trigger, IProgress<LoadProgress>? progress, CancellationToken ct)
    {
        var clockStarted = Stopwatch.StartNew();
        progress?.Report(new LoadProgress($"{market} market: reading listings", 0, 0));
        var (ids, rows) = await ReadMarketAsync(market, ct);
        var model = await Task.Run(() => MarketPricing.Train(rows, settings.Model, clock.GetUtcNow(), progress, ct).Models.SingleOrDefault(), ct);
        if (model is null) return new TrainedMarket(market, rows.Count, null, clockStarted.Elapsed.TotalSeconds, null);
        progress?.Report(new LoadProgress($"{market} market: estimating {rows.Count:N0} listings", 0, 0));
        var estimates = model.Estimate(rows);
        progress?.Report(new LoadProgress($"{market} market: switching the model in", 0, 0));
        var trained = clockStarted.Elapsed.TotalSeconds;
        var version = await SwitchAsync(model, trigger, ids, rows, estimates, trained, ct);
        metrics.PriceModelDuration.Record(clockStarted.Elapsed.TotalSeconds, new KeyValuePair<string, object?>("market", market));
        return new TrainedMarket(market, rows.Count, version, trained, model.Info.Validation, clockStarted.Elapsed.TotalSeconds - trained);
    }

    /// <summary>The market's active listings as price rows, streamed (ids in the same order).</summary>
    private async Task<(List<long> Ids, List<PriceRow> Rows)> ReadMarketAsync(string market, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand($"SELECT {PricedListings.Columns} FROM listings WHERE status = 'Active' AND upper(currency) = $1");
        cmd.Parameters.AddWithValue(market);
        var features = new PriceFeatures();
        var (ids, rows) = (new List<long>(), new List<PriceRow>());
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var row = features.Row(PricedListings.Read(reader));
            if (!(row.Price > 0)) continue;
            ids.Add(reader.GetInt64(0));
            rows.Add(row);
        }
        return (ids, rows);
    }

    private async Task<int> SwitchAsync(MarketPriceModel model, string trigger, List<long> ids, List<PriceRow> rows, float[] estimates,
        double seconds, CancellationToken ct)
    {
        var market = model.Market;
        var bytes = model.Save();
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await using (var lockCmd = new NpgsqlCommand($"SELECT pg_advisory_xact_lock({SwitchLock})", connection, tx))
            await lockCmd.ExecuteNonQueryAsync(ct);

        long modelId;
        int version;
        await using (var insert = new NpgsqlCommand("""
            INSERT INTO price_models (market, version, trained_at, rows, training_seconds, trigger, metrics, model, active)
            VALUES ($1, coalesce((SELECT max(version) FROM price_models WHERE market = $1), 0) + 1, $2, $3, $4, $5, $6::jsonb, $7, false)
            RETURNING id, version
            """, connection, tx))
        {
            insert.Parameters.AddWithValue(market);
            insert.Parameters.AddWithValue(model.Info.TrainedAt);
            insert.Parameters.AddWithValue(rows.Count);
            insert.Parameters.AddWithValue(seconds);
            insert.Parameters.AddWithValue(trigger);
            insert.Parameters.AddWithValue(JsonSerializer.Serialize(model.Info.Validation, JsonSerializerOptions.Web));
            insert.Parameters.AddWithValue(bytes);
            await using var reader = await insert.ExecuteReaderAsync(ct);
            await reader.ReadAsync(ct);
            (modelId, version) = (reader.GetInt64(0), reader.GetInt32(1));
        }

        await using (var staging = new NpgsqlCommand("""
            CREATE TEMP TABLE price_staging (listing_id bigint, estimate double precision, low double precision, high double precision,
                                             deviation double precision, rating text) ON COMMIT DROP
            """, connection, tx))
            await staging.ExecuteNonQueryAsync(ct);
        var interval = PriceInterval.Of(model.Info);
        await using (var copy = await connection.BeginBinaryImportAsync(
            "COPY price_staging (listing_id, estimate, low, high, deviation, rating) FROM STDIN (FORMAT BINARY)", ct))
        {
            for (var i = 0; i < ids.Count; i++)
            {
                var estimate = (double)estimates[i];
                var deviation = DealRatings.Deviation(rows[i].Price, estimate);
                await copy.StartRowAsync(ct);
                await copy.WriteAsync(ids[i], NpgsqlDbType.Bigint, ct);
                await copy.WriteAsync(estimate, NpgsqlDbType.Double, ct);
                await copy.WriteAsync(estimate * interval.Low, NpgsqlDbType.Double, ct);
                await copy.WriteAsync(estimate * interval.High, NpgsqlDbType.Double, ct);
                await copy.WriteAsync(deviation, NpgsqlDbType.Double, ct);
                await copy.WriteAsync(DealRatings.Name(DealRatings.Rate(deviation)), NpgsqlDbType.Text, ct);
            }
            await copy.CompleteAsync(ct);
        }

        // the market's estimates replaced whole (listings sold since lose theirs), the flag flipped, old bytes dropped
        await using (var replace = new NpgsqlCommand("""
            DELETE FROM listing_prices WHERE currency = @market;
            INSERT INTO listing_prices (listing_id, model_id, model_version, currency, estimate, low, high, deviation, rating, estimated_at)
            SELECT s.listing_id, @id, @version, @market, s.estimate, s.low, s.high, s.deviation, s.rating, now()
            FROM price_staging s JOIN listings l ON l.id = s.listing_id
            ON CONFLICT (listing_id) DO UPDATE SET model_id = excluded.model_id, model_version = excluded.model_version, currency = excluded.currency,
                estimate = excluded.estimate, low = excluded.low, high = excluded.high, deviation = excluded.deviation, rating = excluded.rating,
                estimated_at = excluded.estimated_at;
            UPDATE price_models SET active = false WHERE market = @market AND active;
            UPDATE price_models SET active = true WHERE id = @id;
            UPDATE price_models SET model = NULL WHERE market = @market AND model IS NOT NULL AND version <= @version - @kept;
            """, connection, tx))
        {
            // named parameters: a command of several statements takes no positional ones
            replace.Parameters.AddWithValue("market", market);
            replace.Parameters.AddWithValue("id", modelId);
            replace.Parameters.AddWithValue("version", version);
            replace.Parameters.AddWithValue("kept", PriceModelVersion.KeptModels);
            await replace.ExecuteNonQueryAsync(ct);
        }
        await tx.CommitAsync(ct);
        return version;
    }
}
