using System.Diagnostics;
using System.Text.Json;
using CarRecommender.Core.Data;
using CarRecommender.Core.Domain;
using Npgsql;
using NpgsqlTypes;

namespace CarRecommender.Core.Import;

/// <summary>
/// Imports a catalogue file as a sync with its source: every valid row is staged (binary COPY into a temporary table),
/// then, in the same transaction, listings of the source already known by their external id are updated in place
/// (price, attributes, status; each price change kept in <c>price_history</c>), new ones inserted, and with
/// <see cref="ImportOptions.Sync"/> the source's active listings absent from the file marked sold. The run, its report
/// and its rejected lines are recorded in <c>imports</c> and <c>import_rejections</c>. All of it commits, or none of it.
/// </summary>
public static class CatalogueImport
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>The listing columns a row of the file sets (the staging table has them, plus its line order).</summary>
    private const string Columns = CatalogueLoader.ListingAttributeColumns + ", content_vector, encoder_version, external_id, attributes";

    public static async Task<ImportReport> ImportFileAsync(NpgsqlDataSource dataSource, string path, ImportOptions options, CurrencyRates rates,
        DateTimeOffset now, IProgress<LoadProgress>? progress, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        using var file = await CatalogueFile.OpenAsync(path, options, rates, now, ct);
        var reader = file.Reader;
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await Exec(conn, $"""
            CREATE TEMP TABLE import_rows ON COMMIT DROP AS SELECT {Columns} FROM listings WITH NO DATA;
            ALTER TABLE import_rows ADD COLUMN ord bigint
            """, ct);
        var bytes = progress is null ? null : new SyncProgress<long>(_ => progress.Report(new LoadProgress("importing", file.Position, file.Length)));
        var phases = new Dictionary<string, double>();
        var phase = Stopwatch.StartNew();
        void Mark(string name) { phases[name] = Math.Round(phase.Elapsed.TotalSeconds, 2); phase.Restart(); }
        var staged = await StageAsync(conn, file.Listings(), bytes, ct);
        progress?.Report(new LoadProgress("applying", 0, staged));

        var source = options.Source;
        // an id repeated in the file is the same car listed again: the last row counts
        await Exec(conn, "CREATE INDEX ON import_rows (external_id)", ct);
        var repeats = await Exec(conn, "DELETE FROM import_rows a USING import_rows b WHERE a.external_id = b.external_id AND a.ord < b.ord", ct);
        await Exec(conn, "ANALYZE import_rows", ct);
        Mark("read and stage");
        var importId = await Scalar<long>(conn, """
            INSERT INTO imports (source, file_name, started_by, started_at, duration_seconds, sync, rows_read, inserted, updated, unchanged, marked_sold, rejected, report)
            VALUES ($1, $2, $3, $4, 0, $5, 0, 0, 0, 0, 0, 0, '{}') RETURNING id
            """, ct, source, options.FileName, options.StartedBy, now, options.Sync);

        // price changes first, while the old price is still there
        var priceChanges = await Exec(conn, """
            INSERT INTO price_history (listing_id, changed_at, asking_price, currency, price, previous_price, import_id)
            SELECT l.id, $2, s.asking_price, s.currency, s.price, l.price, $3
            FROM import_rows s JOIN listings l ON l.source = $1 AND l.external_id = s.external_id
            WHERE (l.asking_price, l.currency) IS DISTINCT FROM (s.asking_price, s.currency)
            """, ct, source, now, importId);
        var updated = await Exec(conn, """
            UPDATE listings l SET make = s.make, model = s.model, year = s.year, price = s.price, asking_price = s.asking_price, currency = s.currency,
                mileage_km = s.mileage_km, fuel = s.fuel, transmission = s.transmission, body_type = s.body_type, power_kw = s.power_kw,
                colour = s.colour, seller_type = s.seller_type, seller_id = s.seller_id, city = s.city, latitude = s.latitude, longitude = s.longitude,
                content_vector = s.content_vector, encoder_version = s.encoder_version, attributes = s.attributes, status = 'Active', updated_at = $2
            FROM import_rows s
            WHERE l.source = $1 AND l.external_id = s.external_id
              AND (l.make, l.model, l.year, l.price, l.asking_price, l.currency, l.mileage_km, l.fuel, l.transmission, l.body_type, l.power_kw,
                   l.colour, l.seller_type, l.seller_id, l.city, l.latitude, l.longitude, l.attributes, l.status)
                  IS DISTINCT FROM
                  (s.make, s.model, s.year, s.price, s.asking_price, s.currency, s.mileage_km, s.fuel, s.transmission, s.body_type, s.power_kw,
                   s.colour, s.seller_type, s.seller_id, s.city, s.latitude, s.longitude, s.attributes, 'Active')
            """, ct, source, now);
        // the changes users should hear of go on the bus through the listings' outbox, committed with the import
        await Exec(conn, """
            INSERT INTO listing_changes (listing_id, kind, price, previous_price, occurred_at)
            SELECT listing_id, CASE WHEN price < previous_price THEN 'PriceDropped' ELSE 'PriceRaised' END, price, previous_price, changed_at
            FROM price_history WHERE import_id = $1 AND previous_price IS NOT NULL AND price <> previous_price
            """, ct, importId);
        Mark("match and update");
        var added = await Scalar<long[]>(conn, $"""
            WITH added AS (
                INSERT INTO listings ({Columns}, source, status, created_at)
                SELECT {Columns}, $1, 'Active', $2 FROM import_rows s
                WHERE NOT EXISTS (SELECT 1 FROM listings l WHERE l.source = $1 AND l.external_id = s.external_id)
                ORDER BY s.ord
                RETURNING id, asking_price, currency, price),
            first_prices AS (
                INSERT INTO price_history (listing_id, changed_at, asking_price, currency, price, previous_price, import_id)
                SELECT id, $2, asking_price, currency, price, NULL, $3 FROM added)
            SELECT coalesce(array_agg(id), ARRAY[]::bigint[]) FROM added
            """, ct, source, now, importId);
        var inserted = (long)added.Length;
        Mark("insert");
        // new listings enter the collaborative candidates at once, without a retrain: their item factors are the mean
        // factors of their car model's listings under the serving model (none when the model has no trained listing)
        var factored = added.Length == 0 ? 0 : await Exec(conn, """
            INSERT INTO listing_factors (listing_id, factors)
            SELECT n.id, m.factors
            FROM listings n
            JOIN (SELECT o.car_model, avg(f.factors) AS factors
                  FROM listing_factors f JOIN listings o ON o.id = f.listing_id
                  WHERE o.car_model IN (SELECT DISTINCT car_model FROM listings WHERE id = ANY($1))
                  GROUP BY o.car_model) m ON m.car_model = n.car_model
            WHERE n.id = ANY($1)
            ON CONFLICT (listing_id) DO NOTHING
            """, ct, added);
        if (added.Length > 0)
        {
            await Exec(conn, """
                INSERT INTO listing_changes (listing_id, kind, price, previous_price, occurred_at)
                SELECT id, 'Listed', price, NULL, $2 FROM listings WHERE id = ANY($1) ORDER BY id
                """, ct, added, now);
            Mark("new listings: factors and events");
        }
        // sold listings leave every list at once: stored lists are read joined to active listings
        var markedSold = options.Sync
            ? await Exec(conn, """
                WITH sold AS (
                    UPDATE listings l SET status = 'Sold', updated_at = $2
                    WHERE l.source = $1 AND l.status = 'Active' AND l.external_id IS NOT NULL
                      AND NOT EXISTS (SELECT 1 FROM import_rows s WHERE s.external_id = l.external_id)
                    RETURNING l.id, l.price)
                INSERT INTO listing_changes (listing_id, kind, price, previous_price, occurred_at)
                SELECT id, 'Sold', price, NULL, $2 FROM sold
                """, ct, source, now)
            : 0;
        if (options.Sync) Mark("sync");

        await SaveRejectionsAsync(conn, importId, reader.Rejections, ct);
        var report = reader.Report(staged) with
        {
            ImportId = importId,
            Source = source,
            Inserted = inserted,
            Updated = updated,
            // every staged row was either inserted or matched a listing of the source, updated or not
            Unchanged = staged - repeats - inserted - updated,
            MarkedSold = markedSold,
            DurationSeconds = Math.Round(clock.Elapsed.TotalSeconds, 2),
            Phases = phases,
        };
        if (file.Warning is { } warning) report = report with { Warnings = [.. report.Warnings, warning] };
        if (inserted > 0) report = report with { Decisions = [.. report.Decisions, $"latent: {factored:N0} of {inserted:N0} new listings took their car model's mean factors (the others wait for the next retrain)"] };
        if (priceChanges > 0) report = report with { Decisions = [.. report.Decisions, $"prices: {priceChanges:N0} listings changed price (kept in their price history)"] };
        await Exec(conn, """
            UPDATE imports SET duration_seconds = $2, rows_read = $3, inserted = $4, updated = $5, unchanged = $6, marked_sold = $7, rejected = $8, report = $9::jsonb
            WHERE id = $1
            """, ct, importId, report.DurationSeconds, report.RowsRead, report.Inserted, report.Updated, report.Unchanged, report.MarkedSold, report.Rejected,
            JsonSerializer.Serialize(report with { Rejections = [] }, Json));
        await tx.CommitAsync(ct);
        progress?.Report(new LoadProgress("applying", staged, staged));
        return report;
    }

    /// <summary>
    /// Reads <paramref name="head"/> (the first part of a file, its first line the header) as an import would, writes
    /// nothing, and answers the mapping, the decisions and the first <paramref name="rows"/> rows as they would be stored.
    /// The unit is decided from the head alone, so a preview of a few rows may decide otherwise than the whole file.
    /// </summary>
    public static ImportPreview Preview(string head, ImportOptions options, CurrencyRates rates, DateTimeOffset now, int rows = 10)
    {
        // a head cut mid-line: the last, partial line is not a row
        var cut = head.LastIndexOf('\n');
        if (cut > 0 && cut < head.Length - 1) head = head[..(cut + 1)];
        var reader = new ListingCsvReader(now, options, rates);
        reader.Survey(new StringReader(head));
        var first = new List<PreviewRow>();
        foreach (var l in reader.Read(new StringReader(head)))
            if (first.Count < rows)
                first.Add(new PreviewRow(l.Make, l.Model, l.Year, l.Price, l.AskingPrice, l.Currency, l.MileageKm, l.Fuel.ToString(), l.Transmission.ToString(),
                    l.BodyType.ToString(), l.PowerKw, l.ExternalId, l.Attributes));
        var report = reader.Report(0);
        return new ImportPreview(report.Mapping, report.MileageUnit, report.MileageUnitReason, first, report.RowsRead,
            report.Rejections.Take(rows).ToList(), report.Decisions, report.Warnings);
    }

    private static async Task<long> StageAsync(NpgsqlConnection conn, IEnumerable<Listing> listings, IProgress<long>? progress, CancellationToken ct)
    {
        long n = 0;
        await using var writer = await conn.BeginBulkCopyAsync($"COPY import_rows ({Columns}, ord) FROM STDIN (FORMAT BINARY)", ct);
        foreach (var l in listings)
        {
            await writer.StartRowAsync(ct);
            await CatalogueLoader.WriteAttributesAsync(writer, l, ct);
            await writer.WriteAsync(l.ContentVector!, "vector", ct);
            await writer.WriteAsync(l.EncoderVersion, NpgsqlDbType.Smallint, ct);
            await writer.WriteAsync(l.ExternalId!, NpgsqlDbType.Varchar, ct);
            if (l.Attributes is { } a) await writer.WriteAsync(a, NpgsqlDbType.Jsonb, ct);
            else await writer.WriteNullAsync(ct);
            await writer.WriteAsync(++n, NpgsqlDbType.Bigint, ct);
            if (n % 5_000 == 0) progress?.Report(n);
        }
        await writer.CompleteAsync(ct);
        return n;
    }

    private static async Task SaveRejectionsAsync(NpgsqlConnection conn, long importId, IReadOnlyList<ImportRejection> rejections, CancellationToken ct)
    {
        if (rejections.Count == 0) return;
        await using var writer = await conn.BeginBulkCopyAsync("COPY import_rejections (import_id, line, reason, raw) FROM STDIN (FORMAT BINARY)", ct);
        foreach (var r in rejections.DistinctBy(r => r.Line))
        {
            await writer.StartRowAsync(ct);
            await writer.WriteAsync(importId, NpgsqlDbType.Bigint, ct);
            await writer.WriteAsync(r.Line, NpgsqlDbType.Bigint, ct);
            await writer.WriteAsync(r.Reason, NpgsqlDbType.Text, ct);
            await writer.WriteAsync(r.Raw ?? "", NpgsqlDbType.Text, ct);
        }
        await writer.CompleteAsync(ct);
    }

    private static async Task<long> Exec(NpgsqlConnection conn, string sql, CancellationToken ct, params object[] parameters)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        foreach (var p in parameters) cmd.Parameters.AddWithValue(p);
        return await cmd.ExecuteNonQueryAsync(ct);
    }

    private static async Task<T> Scalar<T>(NpgsqlConnection conn, string sql, CancellationToken ct, params object[] parameters)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        foreach (var p in parameters) cmd.Parameters.AddWithValue(p);
        return (T)(await cmd.ExecuteScalarAsync(ct))!;
    }
}
