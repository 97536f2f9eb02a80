using System.Text.Json;
using CarRecommender.Core.Data;
using CarRecommender.Core.Domain;
using CarRecommender.Core.Search;
using Microsoft.EntityFrameworkCore;

namespace CarRecommender.Core.Recommendation.Sources;

/// <summary>
/// Retrieval over the live catalogue: which variant of the sources serves a request. Unfiltered, the indexed sources.
/// Filtered, every source applies the filter: a selective one (at most <see cref="ExactFilterLimit"/> matches) is
/// read into memory once and served by the exact sources; a broad one by the indexed sources, where trending is an
/// exact b-tree scan, so the list still fills when the ANN scans give up early.
/// </summary>
public sealed class CatalogueRetrieval(CarRecommenderDb db) : IRetrieval
{
    /// <summary>A filter matching at most this many active listings is ranked over all of them, exactly.</summary>
    public const int ExactFilterLimit = 5_000;
    /// <summary>
    /// A filtered request's index scans run with these session settings: pgvector's default candidate list (40, not the
    /// database's 200 that unfiltered lists use for recall) and a cap on the tuples an iterative scan visits before it
    /// gives up. Measured on the 1M catalogue (warm), a latent-vector scan filtered to SUVs or to electric cars took
    /// 12–16 ms at ef_search 200 and about 5 ms with these, still 30 rows; what a capped scan misses on a more
    /// selective filter, the trending source (an exact b-tree scan) fills. No parallel workers either: the planner gave
    /// each car-model branch a parallel walk, whose worker start-up cost more than the walk (at 1M listings, 4 requests in
    /// flight on 2 cores: 312 ms for that source against 115 ms without).
    /// </summary>
    public const int FilteredEfSearch = 40, FilteredMaxScanTuples = 2_000;

    public async ValueTask<IReadOnlyList<Candidate>> RetrieveAsync(UserContext user, RecommendationRequest request, CandidateQuery query,
        CancellationToken ct)
    {
        var pool = db.Listings.AsNoTracking().Where(l => l.Status == ListingStatus.Active);
        if (request.Filter is not { } filter) return await FetchAllAsync(new IndexedSources(db, pool, null).All, query, ct);

        pool = pool.Matching(filter with { Status = ListingStatus.Active });
        // one transaction, so the scan settings below are this request's only (SET LOCAL) on a pooled connection
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await db.Database.ExecuteSqlRawAsync(
            $"SET LOCAL hnsw.ef_search = {FilteredEfSearch}; SET LOCAL hnsw.max_scan_tuples = {FilteredMaxScanTuples}; SET LOCAL max_parallel_workers_per_gather = 0", ct);
        var sources = await SelectiveAsync(pool, ct) is { } matches
            ? ExactSources.All(new CandidateCatalogue(matches))
            : new IndexedSources(db, pool, filter).All;
        var candidates = await FetchAllAsync(sources, query, ct);
        await tx.CommitAsync(ct);
        return candidates;
    }

    /// <summary>Every source's candidates, one after the other (they share the request's connection).</summary>
    public static async ValueTask<IReadOnlyList<Candidate>> FetchAllAsync(IEnumerable<ICandidateSource> sources, CandidateQuery query,
        CancellationToken ct)
    {
        var all = new List<Candidate>();
        foreach (var source in sources.Where(s => query.Settings.Runs(s.Name))) all.AddRange(await source.FetchAsync(query, ct));
        return all;
    }

    /// <summary>
    /// The filter's matches when there are at most <see cref="ExactFilterLimit"/>, else null. A selective filter is the
    /// index scans' worst case: an HNSW iterative scan visits thousands of non-matching neighbours (up to
    /// hnsw.max_scan_tuples) before giving up, and the trending b-tree walks most of the catalogue; reading a few thousand
    /// matching rows once through the filter's own indexes and ranking them in memory is cheaper, and exact.
    /// Whether the filter is selective is first asked of the planner's estimate (planning only, under a millisecond):
    /// counting the matches took 13–130 ms at 1M listings, as long as the index scans it was meant to spare. The
    /// estimate can be low for correlated filters (a Porsche convertible: estimated 154, 1,517 match), so the read stops
    /// at <see cref="ExactFilterLimit"/> + 1 rows and gives way to the indexes when it gets that many.
    /// </summary>
    private async Task<List<Candidate>?> SelectiveAsync(IQueryable<Listing> pool, CancellationToken ct)
    {
        if (await EstimatedRowsAsync(pool, ct) > ExactFilterLimit) return null;
        var rows = await IndexedSources.ReadAsync(db, pool, ExactFilterLimit + 1, ct);
        return rows.Count > ExactFilterLimit ? null : rows;
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
}
