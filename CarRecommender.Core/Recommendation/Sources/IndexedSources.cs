using CarRecommender.Core.Data;
using CarRecommender.Core.Domain;
using CarRecommender.Core.Features;
using CarRecommender.Core.Search;
using Microsoft.EntityFrameworkCore;
using Pgvector;
using Pgvector.EntityFrameworkCore;

namespace CarRecommender.Core.Recommendation.Sources;

/// <summary>
/// The candidate sources over the live catalogue in PostgreSQL, each one index scan: content and latent ANN (HNSW; with
/// a filter, pgvector's iterative scans keep going until enough rows match), the car-model source and trending (b-tree
/// on the trend key), and the price drops of the user's history (primary key). <paramref name="pool"/> is the active
/// listings passing the request's filter; the exact twins are <see cref="ExactSources"/>.
/// </summary>
public sealed class IndexedSources(CarRecommenderDb db, IQueryable<Listing> pool, ListingFilter? filter)
{
    /// <summary>How many of the car-model EASE's best models the car-model source takes listings from.</summary>
    public const int CarModelSourceModels = 10;

    public IReadOnlyList<ICandidateSource> All => [Content, Latent, CarModel, Trending, PriceDrop];

    public ICandidateSource Content => new Source("content", async (q, ct) =>
    {
        if (q.Taste.Content is not { } content) return [];
        // steered into the filter's region, so the index walk starts among listings the filter keeps
        var v = new Vector(filter is null ? content : ContentEncoder.Steer(content, filter));
        return await Project(Pool(q).Where(l => l.ContentVector != null).OrderBy(l => l.ContentVector!.CosineDistance(v)).Take(q.Count))
            .ToListAsync(ct);
    });

    public ICandidateSource Latent => new Source("latent", async (q, ct) =>
    {
        if (q.Taste.Latent is not { } latent) return [];
        var v = new Vector(latent);
        return await Pool(q).Join(db.ListingFactors, l => l.Id, f => f.ListingId, (l, f) => new { l, f })
            .OrderBy(x => x.f.Factors.MaxInnerProduct(v)).Take(q.Count)
            .Select(x => new CandidateRow(x.l.Id, x.l.Make, x.l.Model, x.l.Year, x.l.Price, x.l.BodyType, x.l.ContentVector, x.f.Factors,
                x.l.TrendKey, x.l.Latitude, x.l.Longitude))
            .ToListAsync(ct);
    });

    /// <summary>The hottest listings of the car models the car-model EASE proposes (b-tree on status, car model, trend key).</summary>
    public ICandidateSource CarModel => new Source("car-model", async (q, ct) =>
        q.Taste.CarModels.Top(CarModelSourceModels) is { Count: > 0 } models
            ? await Project(Pool(q).Where(l => models.Contains(l.CarModel)).OrderByDescending(l => l.TrendKey).ThenByDescending(l => l.Id)
                .Take(q.Count)).ToListAsync(ct)
            : []);

    public ICandidateSource Trending => new Source("trending", async (q, ct) =>
        await Project(Pool(q).OrderByDescending(l => l.TrendKey).ThenByDescending(l => l.Id).Take(q.TrendingCount)).ToListAsync(ct));

    public ICandidateSource PriceDrop => new Source("price-drop", async (q, ct) =>
        PriceDropped(q).ToArray() is { Length: > 0 } dropped ? await Project(Pool(q).Where(l => dropped.Contains(l.Id))).ToListAsync(ct) : []);

    /// <summary>The listings of the history the user knows whose price dropped since they last looked (and not excluded).</summary>
    public static IEnumerable<long> PriceDropped(CandidateQuery q) =>
        q.Taste.History.Where(h => h is { Seen: true, PriceDrop: > 0 } && !q.Excluded.Contains(h.ListingId)).Select(h => h.ListingId);

    /// <summary>Up to <paramref name="max"/> listings of <paramref name="listings"/> as candidates (the exact path's read).</summary>
    public static async Task<List<Candidate>> ReadAsync(CarRecommenderDb db, IQueryable<Listing> listings, int max, CancellationToken ct) =>
        (await Project(db, listings).Take(max).ToListAsync(ct)).Select(r => r.ToCandidate()).ToList();

    private IQueryable<Listing> Pool(CandidateQuery q)
    {
        var excluded = q.Excluded.ToArray();
        return excluded.Length == 0 ? pool : pool.Where(l => !excluded.Contains(l.Id));
    }

    private IQueryable<CandidateRow> Project(IQueryable<Listing> q) => Project(db, q);

    /// <summary>Candidate rows of <paramref name="q"/> with their item factors, when they have some.</summary>
    private static IQueryable<CandidateRow> Project(CarRecommenderDb db, IQueryable<Listing> q) =>
        from l in q
        join f in db.ListingFactors on l.Id equals f.ListingId into factors
        from f in factors.DefaultIfEmpty()
        select new CandidateRow(l.Id, l.Make, l.Model, l.Year, l.Price, l.BodyType, l.ContentVector, f != null ? f.Factors : null, l.TrendKey,
            l.Latitude, l.Longitude);

    private sealed record CandidateRow(long Id, string Make, string Model, int Year, int Price, BodyType BodyType,
        Vector? Content, Vector? Latent, double TrendKey, double? Latitude, double? Longitude)
    {
        public Candidate ToCandidate() => new(Id, Make, Model, Year, Price, BodyType, Content?.ToArray(), Latent?.ToArray(), TrendKey, null)
        {
            Latitude = Latitude,
            Longitude = Longitude,
        };
    }

    private sealed class Source(string name, Func<CandidateQuery, CancellationToken, Task<List<CandidateRow>>> fetch) : ICandidateSource
    {
        public string Name => name;

        public async ValueTask<IReadOnlyList<Candidate>> FetchAsync(CandidateQuery query, CancellationToken ct) =>
            (await fetch(query, ct)).Select(r => r.ToCandidate()).ToList();
    }
}
