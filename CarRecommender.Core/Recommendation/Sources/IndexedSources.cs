using System.Linq.Expressions;
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
/// a filter, pgvector's iterative scans keep going until enough rows match), the car-model source and trending (the
/// b-trees of <see cref="ListingPopularity"/>, each row joined to its listing), and the price drops of the user's history (primary key). <paramref name="pool"/> is the active
/// listings passing the request's filter; the exact twins are <see cref="ExactSources"/>.
/// </summary>
public sealed class IndexedSources(CarRecommenderDb db, IQueryable<Listing> pool, ListingFilter? filter)
{
    /// <summary>How many of the car-model EASE's best models the car-model source takes listings from.</summary>
    public const int CarModelSourceModels = 10;

    /// <summary>How many promoted listings (the hottest) the promoted source ranks by the user's taste.</summary>
    public const int PromotedPool = 2_000;

    public IReadOnlyList<ICandidateSource> All => [Content, Latent, CarModel, Trending, PriceDrop, Promoted];

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
        // the index walk first, then each of its rows' trend key (a join inside the walk would hide its order from the HNSW index)
        return await Rows(Pool(q).Join(db.ListingFactors, l => l.Id, f => f.ListingId, (l, f) => new { L = l, F = f })
            .OrderBy(x => x.F.Factors.MaxInnerProduct(v)).Take(q.Count)
            .Select(x => new WithFactors { L = x.L, F = x.F, TrendKey = x.L.Popularity != null ? x.L.Popularity.TrendKey : Ranking.Trending.None }))
            .ToListAsync(ct);
    });

    /// <summary>
    /// How deep a filtered request looks into each proposed car model's hottest active listings (the model's own range
    /// of the car model, trend key b-tree) for ones that pass the filter.
    /// </summary>
    public const int FilteredModelDepth = 1_000;

    /// <summary>
    /// The hottest listings of the car models the car-model EASE proposes (b-tree on car model, trend key).
    /// Filtered, each model is read alone, at most <see cref="FilteredModelDepth"/> of its hottest listings, and then
    /// filtered: asked for SUVs among ten hatchback models in one query, the planner walked the whole trend-key index
    /// for matches that did not exist (3.4 s at 1M listings).
    /// </summary>
    public ICandidateSource CarModel => new Source("car-model", async (q, ct) =>
    {
        if (q.Taste.CarModels.Top(CarModelSourceModels) is not { Count: > 0 } models) return [];
        if (filter is null)
            return await Project(HottestFirst(Pool(q), p => models.Contains(p.CarModel)).Take(q.Count)).ToListAsync(ct);
        // each branch carries the trend key it was walked by, so no branch (nor the union) joins the popularity table again
        var excluded = q.Excluded.ToArray();
        IQueryable<HotListing>? union = null;
        foreach (var model in models)
        {
            var modelsHottest = HottestFirst(db.Listings.AsNoTracking().Where(l => l.Status == ListingStatus.Active), p => p.CarModel == model)
                .Take(FilteredModelDepth).Matching(filter with { Status = ListingStatus.Active }, h => h.Listing);
            var hottest = Ordered(excluded.Length == 0 ? modelsHottest : modelsHottest.Where(h => !excluded.Contains(h.ListingId))).Take(q.Count);
            union = union is null ? hottest : union.Concat(hottest);
        }
        return await Project(Ordered(union!).Take(q.Count)).ToListAsync(ct);
    });

    public ICandidateSource Trending => new Source("trending", async (q, ct) =>
        await Project(HottestFirst(Pool(q)).Take(q.TrendingCount)).ToListAsync(ct));

    public ICandidateSource PriceDrop => new Source("price-drop", async (q, ct) =>
        PriceDropped(q).ToArray() is { Length: > 0 } dropped ? await Project(Pool(q).Where(l => dropped.Contains(l.Id))).ToListAsync(ct) : []);

    /// <summary>
    /// Promoted listings for the promoted slots: the hottest <see cref="PromotedPool"/> active promoted ones (the partial
    /// index on promoted_until: promoted listings are few), ranked exactly by the user's taste in memory.
    /// </summary>
    public ICandidateSource Promoted => new Source("promoted", async (q, ct) =>
    {
        var now = q.Now;
        var rows = await Project(HottestFirst(Pool(q).Where(l => l.PromotedUntil > now)).Take(PromotedPool)).ToListAsync(ct);
        if (rows.Count == 0) return rows;
        var byId = rows.ToDictionary(r => r.Id);
        var ranked = await ExactSources.Promoted(new CandidateCatalogue(rows.Select(r => r.ToCandidate()))).FetchAsync(q, ct);
        return ranked.Select(c => byId[c.ListingId]).ToList();
    });

    /// <summary>The listings of the history the user knows whose price dropped since they last looked (and not excluded).</summary>
    public static IEnumerable<long> PriceDropped(CandidateQuery q) =>
        q.Taste.History.Where(h => h is { Seen: true, PriceDrop: > 0 } && !q.Excluded.Contains(h.ListingId)).Select(h => h.ListingId);

    /// <summary>Up to <paramref name="max"/> listings of <paramref name="listings"/> as candidates (the exact path's read).</summary>
    public static async Task<List<Candidate>> ReadAsync(CarRecommenderDb db, IQueryable<Listing> listings, int max, CancellationToken ct) =>
        (await Project(db, listings).Take(max).ToListAsync(ct)).Select(r => r.ToCandidate()).ToList();

    private IQueryable<Listing> Pool(CandidateQuery q) => Excluding(pool, q);

    /// <summary><paramref name="listings"/> without the request's excluded listings.</summary>
    private static IQueryable<Listing> Excluding(IQueryable<Listing> listings, CandidateQuery q)
    {
        var excluded = q.Excluded.ToArray();
        return excluded.Length == 0 ? listings : listings.Where(l => !excluded.Contains(l.Id));
    }

    /// <summary>
    /// <paramref name="listings"/> hottest first (trend key, then the newest id): the order of the popularity b-trees,
    /// walked with each row's listing joined by its key; <paramref name="popular"/> narrows the walk (a car model's range).
    /// Each row keeps the trend key it was walked by, for the candidate and for any later re-ordering.
    /// </summary>
    public static IQueryable<HotListing> HottestFirst(CarRecommenderDb db, IQueryable<Listing> listings,
        Expression<Func<ListingPopularity, bool>>? popular = null) =>
        Ordered((popular is null ? db.ListingPopularity : db.ListingPopularity.Where(popular))
            .Join(listings, p => p.ListingId, l => l.Id, (p, l) => new HotListing { TrendKey = p.TrendKey, ListingId = p.ListingId, Listing = l }));

    private IQueryable<HotListing> HottestFirst(IQueryable<Listing> listings, Expression<Func<ListingPopularity, bool>>? popular = null) =>
        HottestFirst(db, listings, popular);

    private static IOrderedQueryable<HotListing> Ordered(IQueryable<HotListing> rows) =>
        rows.OrderByDescending(h => h.TrendKey).ThenByDescending(h => h.ListingId);

    private IQueryable<CandidateRow> Project(IQueryable<Listing> q) => Project(db, q);

    /// <summary>Candidate rows of a popularity walk, in its order, the trend key the walk's own.</summary>
    private IQueryable<CandidateRow> Project(IQueryable<HotListing> q) =>
        Rows(from h in q
             join f in db.ListingFactors on h.ListingId equals f.ListingId into factors
             from f in factors.DefaultIfEmpty()
             select new WithFactors { L = h.Listing, F = f, TrendKey = h.TrendKey });

    /// <summary>Candidate rows of <paramref name="q"/> with their item factors, when they have some.</summary>
    private static IQueryable<CandidateRow> Project(CarRecommenderDb db, IQueryable<Listing> q) =>
        Rows(from l in q
             join f in db.ListingFactors on l.Id equals f.ListingId into factors
             from f in factors.DefaultIfEmpty()
             select new WithFactors { L = l, F = f, TrendKey = l.Popularity != null ? l.Popularity.TrendKey : Ranking.Trending.None });

    /// <summary>The candidate's columns.</summary>
    private static IQueryable<CandidateRow> Rows(IQueryable<WithFactors> q) => q.Select(x => new CandidateRow(x.L.Id, x.L.Make, x.L.Model,
        x.L.Year, x.L.Price, x.L.BodyType, x.L.ContentVector, x.F != null ? x.F.Factors : null,
        x.TrendKey, x.L.Latitude, x.L.Longitude,
        x.L.SellerId, x.L.PromotedUntil, x.L.MileageKm, x.L.PowerKw, x.L.Fuel, x.L.Transmission, x.L.SellerType, x.L.CreatedAt));

    private sealed class WithFactors
    {
        public required Listing L { get; init; }
        public ListingFactors? F { get; init; }
        /// <summary>A popularity walk's own, else read from the listing's popularity row (a key lookup each).</summary>
        public required double TrendKey { get; init; }
    }


    private sealed record CandidateRow(long Id, string Make, string Model, int Year, int Price, BodyType BodyType,
        Vector? Content, Vector? Latent, double TrendKey, double? Latitude, double? Longitude, string? SellerId, DateTimeOffset? PromotedUntil,
        int MileageKm, int? PowerKw, FuelType Fuel, Transmission Transmission, SellerType SellerType, DateTimeOffset CreatedAt)
    {
        public Candidate ToCandidate() => new(Id, Make, Model, Year, Price, BodyType, Content?.ToArray(), Latent?.ToArray(), TrendKey, null)
        {
            Latitude = Latitude,
            Longitude = Longitude,
            SellerId = SellerId,
            PromotedUntil = PromotedUntil,
            MileageKm = MileageKm,
            PowerKw = PowerKw,
            Fuel = Fuel,
            Transmission = Transmission,
            SellerType = SellerType,
            CreatedAt = CreatedAt,
        };
    }

    private sealed class Source(string name, Func<CandidateQuery, CancellationToken, Task<List<CandidateRow>>> fetch) : ICandidateSource
    {
        public string Name => name;

        public async ValueTask<IReadOnlyList<Candidate>> FetchAsync(CandidateQuery query, CancellationToken ct) =>
            (await fetch(query, ct)).Select(r => r.ToCandidate()).ToList();
    }
}

/// <summary>A listing met on a walk of the popularity b-trees (<see cref="IndexedSources.HottestFirst(CarRecommenderDb, IQueryable{Listing}, Expression{Func{ListingPopularity, bool}}?)"/>), with the trend key it was met by.</summary>
public sealed class HotListing
{
    public double TrendKey { get; init; }
    public long ListingId { get; init; }
    public required Listing Listing { get; init; }
}
