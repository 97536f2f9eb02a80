using Npgsql;
using Pgvector;

namespace CarRecommender.Core.Data;

/// <summary>Recall@k of one ef_search setting, with the query latency it costs.</summary>
public sealed record AnnRecallResult(int EfSearch, int Queries, int K, double Recall, double MeanAnnMs, double MeanExactMs);

/// <summary>
/// Measures how well the HNSW index on <c>listings.content_vector</c> finds the true nearest neighbours: for sampled
/// listings it compares the index's top-k with an exact scan (index scans switched off). Neighbours tied at the k-th
/// exact distance count as hits, because catalogue vectors repeat (the same model, year and city encode alike).
/// </summary>
public static class AnnRecall
{
    public static async Task<IReadOnlyList<AnnRecallResult>> MeasureAsync(NpgsqlDataSource dataSource, IReadOnlyList<int> efSearchValues,
        int queries, int k, int seed, IProgress<LoadProgress>? progress, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        var samples = await SampleAsync(conn, queries, seed, ct);

        var exact = new List<double[]>(samples.Count);
        double exactMs = 0;
        await ExecAsync(conn, "SET enable_indexscan = off; SET enable_bitmapscan = off", ct);
        for (var i = 0; i < samples.Count; i++)
        {
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            exact.Add(await DistancesAsync(conn, samples[i], k, ct));
            exactMs += System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            progress?.Report(new LoadProgress("exact search", i + 1, samples.Count));
        }
        await ExecAsync(conn, "RESET enable_indexscan; RESET enable_bitmapscan", ct);

        var results = new List<AnnRecallResult>();
        foreach (var ef in efSearchValues)
        {
            await ExecAsync(conn, $"SET hnsw.ef_search = {ef}", ct);
            double hits = 0, annMs = 0;
            for (var i = 0; i < samples.Count; i++)
            {
                var started = System.Diagnostics.Stopwatch.GetTimestamp();
                var ann = await DistancesAsync(conn, samples[i], k, ct);
                annMs += System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                hits += Hits(ann, exact[i], k);
            }
            results.Add(new AnnRecallResult(ef, samples.Count, k, hits / ((double)samples.Count * k), annMs / samples.Count, exactMs / samples.Count));
            progress?.Report(new LoadProgress($"ef_search {ef}", results.Count, efSearchValues.Count));
        }
        await ExecAsync(conn, "RESET hnsw.ef_search", ct);
        return results;
    }

    /// <summary>
    /// Hits among the approximate top-k: results no farther than the exact k-th neighbour (ties count). Capped at the
    /// number of exact neighbours found.
    /// </summary>
    public static int Hits(IReadOnlyList<double> approximate, IReadOnlyList<double> exact, int k)
    {
        if (exact.Count == 0) return 0;
        var bound = exact[Math.Min(k, exact.Count) - 1] + 1e-6;
        return Math.Min(approximate.Count(d => d <= bound), Math.Min(k, exact.Count));
    }

    private static async Task<List<Vector>> SampleAsync(NpgsqlConnection conn, int queries, int seed, CancellationToken ct)
    {
        await ExecAsync(conn, $"SELECT setseed({(seed % 1000) / 1000.0:0.000})", ct);
        await using var cmd = new NpgsqlCommand(
            "SELECT content_vector FROM listings TABLESAMPLE SYSTEM (1) WHERE content_vector IS NOT NULL ORDER BY random() LIMIT $1", conn);
        cmd.Parameters.AddWithValue(queries);
        var result = new List<Vector>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) result.Add(reader.GetFieldValue<Vector>(0));
        return result;
    }

    private static async Task<double[]> DistancesAsync(NpgsqlConnection conn, Vector query, int k, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            "SELECT content_vector <=> $1 FROM listings ORDER BY content_vector <=> $1 LIMIT $2", conn);
        cmd.Parameters.AddWithValue(query);
        cmd.Parameters.AddWithValue(k);
        var result = new List<double>(k);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) result.Add(reader.GetDouble(0));
        return [.. result];
    }

    private static async Task ExecAsync(NpgsqlConnection conn, string sql, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync(ct);
    }
}
