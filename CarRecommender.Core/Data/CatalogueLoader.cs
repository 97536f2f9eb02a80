using System.Diagnostics;
using CarRecommender.Core.Domain;
using Npgsql;
using NpgsqlTypes;

namespace CarRecommender.Core.Data;

/// <summary>Progress of a bulk load: what it is doing and how far it got.</summary>
public sealed record LoadProgress(string Stage, long Done, long Total);

/// <summary>
/// Reports on the caller's thread, in order, as each report happens. <see cref="Progress{T}"/> would post to a
/// synchronization context instead (out of order on the thread pool, or not at all in a background job).
/// </summary>
public sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}

/// <summary>What a bulk load did and how long each part took.</summary>
public sealed record LoadReport(long Listings, long Users, TimeSpan LoadTime, TimeSpan IndexTime, long Interactions = 0, TimeSpan HistoryTime = default);

/// <summary>
/// Makes a past interaction log once the catalogue is in: called with the new listings' and users' ids in load order
/// (the ids the database gave them).
/// </summary>
public delegate IEnumerable<Interaction> HistoryPlan(IReadOnlyList<long> listingIds, IReadOnlyList<long> userIds);

/// <summary>
/// Bulk-loads listings and users with binary COPY in one transaction: the HNSW indexes are dropped first and rebuilt
/// after the rows are in (building once is far cheaper than inserting a million rows into a graph). A failure at any
/// point rolls everything back, indexes included, so a crash never leaves half a catalogue.
/// </summary>
public static class CatalogueLoader
{
    private const int ProgressEvery = 10_000;

    public static async Task<LoadReport> LoadAsync(NpgsqlDataSource dataSource, IEnumerable<Listing> listings, long listingCount,
        IEnumerable<User> users, long userCount, bool reset, IProgress<LoadProgress>? progress, CancellationToken ct, HistoryPlan? history = null)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        // a million-row load is one long statement; the session default may be tuned for API queries
        await ExecAsync(conn, "SET LOCAL statement_timeout = 0", ct);
        if (reset)
            await ExecAsync(conn, "TRUNCATE interactions, listings, users, model_versions, processed_events RESTART IDENTITY CASCADE", ct);

        var hnsw = await HnswIndexesAsync(conn, ct);
        foreach (var (name, _) in hnsw)
            await ExecAsync(conn, $"DROP INDEX \"{name}\"", ct);

        var load = Stopwatch.StartNew();
        var loadedListings = await CopyListingsAsync(conn, listings, listingCount, progress, ct);
        var loadedUsers = await CopyUsersAsync(conn, users, userCount, progress, ct);
        load.Stop();

        var historyTime = Stopwatch.StartNew();
        long interactions = 0;
        if (history is not null)
        {
            // the rows just copied are the newest ids: identity values follow the COPY order
            var listingIds = await NewestIdsAsync(conn, "listings", loadedListings, ct);
            var userIds = await NewestIdsAsync(conn, "users", loadedUsers, ct);
            interactions = await HistoryLoader.LoadAsync(conn, history(listingIds, userIds), progress, ct);
        }
        historyTime.Stop();

        var index = Stopwatch.StartNew();
        foreach (var (name, definition) in hnsw)
        {
            var stage = $"building {name}";
            progress?.Report(new LoadProgress(stage, 0, listingCount));
            using var stopPolling = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var polling = progress is null ? Task.CompletedTask : PollIndexBuildAsync(dataSource, conn.ProcessID, stage, progress, stopPolling.Token);
            try
            {
                await ExecAsync(conn, definition, ct);
            }
            finally
            {
                await stopPolling.CancelAsync();
                await polling;
            }
            progress?.Report(new LoadProgress(stage, listingCount, listingCount));
        }
        progress?.Report(new LoadProgress("analyzing", hnsw.Count, hnsw.Count));
        await ExecAsync(conn, "ANALYZE listings; ANALYZE users; ANALYZE interactions", ct);
        index.Stop();

        await tx.CommitAsync(ct);
        return new LoadReport(loadedListings, loadedUsers, load.Elapsed, index.Elapsed, interactions, historyTime.Elapsed);
    }

    private static async Task<List<long>> NewestIdsAsync(NpgsqlConnection conn, string table, long count, CancellationToken ct)
    {
        var ids = new List<long>((int)count);
        await using var cmd = new NpgsqlCommand($"SELECT id FROM (SELECT id FROM {table} ORDER BY id DESC LIMIT $1) t ORDER BY id", conn);
        cmd.Parameters.AddWithValue(count);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) ids.Add(reader.GetInt64(0));
        return ids;
    }

    /// <summary>Follows a CREATE INDEX on another connection through <c>pg_stat_progress_create_index</c> (tuples loaded).</summary>
    private static async Task PollIndexBuildAsync(NpgsqlDataSource dataSource, int pid, string stage, IProgress<LoadProgress> progress,
        CancellationToken ct)
    {
        try
        {
            await using var conn = await dataSource.OpenConnectionAsync(ct);
            await using var cmd = new NpgsqlCommand(
                "SELECT tuples_done, tuples_total FROM pg_stat_progress_create_index WHERE pid = $1", conn);
            cmd.Parameters.AddWithValue(pid);
            while (!ct.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), ct);
                await using var reader = await cmd.ExecuteReaderAsync(ct);
                if (await reader.ReadAsync(ct) && reader.GetInt64(1) > 0)
                    progress.Report(new LoadProgress(stage, reader.GetInt64(0), reader.GetInt64(1)));
            }
        }
        catch (OperationCanceledException)
        {
            // the build finished (or the load was cancelled): polling ends quietly
        }
    }

    /// <summary>The HNSW indexes on listings as the migrations created them, so they are rebuilt exactly.</summary>
    public static async Task<List<(string Name, string Definition)>> HnswIndexesAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        var result = new List<(string, string)>();
        await using var cmd = new NpgsqlCommand(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'listings' AND indexdef ILIKE '% USING hnsw %' ORDER BY indexname",
            conn);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) result.Add((reader.GetString(0), reader.GetString(1)));
        return result;
    }

    /// <summary>Binary COPY of listings on an open connection (the caller owns the transaction).</summary>
    public static async Task<long> CopyListingsAsync(NpgsqlConnection conn, IEnumerable<Listing> listings, long total,
        IProgress<LoadProgress>? progress, CancellationToken ct)
    {
        long n = 0;
        await using var writer = await conn.BeginBulkCopyAsync(
            $"COPY listings ({ListingAttributeColumns}, status, created_at, content_vector, encoder_version) " +
            "FROM STDIN (FORMAT BINARY)", ct);
        foreach (var l in listings)
        {
            await writer.StartRowAsync(ct);
            await WriteAttributesAsync(writer, l, ct);
            await writer.WriteAsync(l.Status.ToString(), NpgsqlDbType.Varchar, ct);
            await writer.WriteAsync(l.CreatedAt, NpgsqlDbType.TimestampTz, ct);
            if (l.ContentVector is null) await writer.WriteNullAsync(ct);
            else await writer.WriteAsync(l.ContentVector, "vector", ct);
            await writer.WriteAsync(l.EncoderVersion, NpgsqlDbType.Smallint, ct);
            if (++n % ProgressEvery == 0) progress?.Report(new LoadProgress("loading listings", n, total));
        }
        await writer.CompleteAsync(ct);
        progress?.Report(new LoadProgress("loading listings", n, total));
        return n;
    }

    /// <summary>
    /// The listing's own columns, in the order of <see cref="ListingAttributeColumns"/>: make, model, year, price (€),
    /// asking price and currency, mileage, fuel, transmission, body, power, colour, seller type and id, city, latitude, longitude.
    /// </summary>
    public static async Task WriteAttributesAsync(NpgsqlBinaryImporter writer, Listing l, CancellationToken ct)
    {
        await writer.WriteAsync(l.Make, NpgsqlDbType.Varchar, ct);
        await writer.WriteAsync(l.Model, NpgsqlDbType.Varchar, ct);
        await writer.WriteAsync(l.Year, NpgsqlDbType.Integer, ct);
        await writer.WriteAsync(l.Price, NpgsqlDbType.Integer, ct);
        await writer.WriteAsync(l.AskingPrice == 0 ? l.Price : l.AskingPrice, NpgsqlDbType.Integer, ct);
        await writer.WriteAsync(l.Currency, NpgsqlDbType.Varchar, ct);
        await writer.WriteAsync(l.MileageKm, NpgsqlDbType.Integer, ct);
        await writer.WriteAsync(l.Fuel.ToString(), NpgsqlDbType.Varchar, ct);
        await writer.WriteAsync(l.Transmission.ToString(), NpgsqlDbType.Varchar, ct);
        await writer.WriteAsync(l.BodyType.ToString(), NpgsqlDbType.Varchar, ct);
        if (l.PowerKw is { } kw) await writer.WriteAsync(kw, NpgsqlDbType.Integer, ct);
        else await writer.WriteNullAsync(ct);
        await writer.WriteAsync(l.Colour, NpgsqlDbType.Varchar, ct);
        await writer.WriteAsync(l.SellerType.ToString(), NpgsqlDbType.Varchar, ct);
        await WriteNullableAsync(writer, l.SellerId, NpgsqlDbType.Varchar, ct);
        await WriteNullableAsync(writer, l.City, NpgsqlDbType.Varchar, ct);
        await WriteNullableAsync(writer, l.Latitude, NpgsqlDbType.Double, ct);
        await WriteNullableAsync(writer, l.Longitude, NpgsqlDbType.Double, ct);
    }

    public const string ListingAttributeColumns = "make, model, year, price, asking_price, currency, mileage_km, fuel, transmission, body_type, power_kw, colour, " +
                                                  "seller_type, seller_id, city, latitude, longitude";

    private static async Task<long> CopyUsersAsync(NpgsqlConnection conn, IEnumerable<User> users, long total,
        IProgress<LoadProgress>? progress, CancellationToken ct)
    {
        long n = 0;
        await using var writer = await conn.BeginBulkCopyAsync(
            "COPY users (email, display_name, role, city, latitude, longitude, created_at, content_weight, interaction_count) " +
            "FROM STDIN (FORMAT BINARY)", ct);
        foreach (var u in users)
        {
            await writer.StartRowAsync(ct);
            await writer.WriteAsync(u.Email, NpgsqlDbType.Varchar, ct);
            await writer.WriteAsync(u.DisplayName, NpgsqlDbType.Varchar, ct);
            await writer.WriteAsync(u.Role.ToString(), NpgsqlDbType.Varchar, ct);
            await WriteNullableAsync(writer, u.City, NpgsqlDbType.Varchar, ct);
            await WriteNullableAsync(writer, u.Latitude, NpgsqlDbType.Double, ct);
            await WriteNullableAsync(writer, u.Longitude, NpgsqlDbType.Double, ct);
            await writer.WriteAsync(u.CreatedAt, NpgsqlDbType.TimestampTz, ct);
            await writer.WriteAsync(u.ContentWeight, NpgsqlDbType.Double, ct);
            await writer.WriteAsync(u.InteractionCount, NpgsqlDbType.Integer, ct);
            if (++n % ProgressEvery == 0) progress?.Report(new LoadProgress("loading users", n, total));
        }
        await writer.CompleteAsync(ct);
        progress?.Report(new LoadProgress("loading users", n, total));
        return n;
    }

    private static async Task WriteNullableAsync<T>(NpgsqlBinaryImporter writer, T? value, NpgsqlDbType type, CancellationToken ct)
    {
        if (value is null) await writer.WriteNullAsync(ct);
        else await writer.WriteAsync(value, type, ct);
    }

    private static async Task ExecAsync(NpgsqlConnection conn, string sql, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, conn) { CommandTimeout = 0 };
        await cmd.ExecuteNonQueryAsync(ct);
    }
}
