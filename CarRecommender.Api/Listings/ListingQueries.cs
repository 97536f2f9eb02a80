using CarRecommender.Core.Data;
using CarRecommender.Core.Domain;
using CarRecommender.Core.Learning;
using CarRecommender.Core.Recommendation;
using CarRecommender.Core.Recommendation.Sources;
using CarRecommender.Core.Search;
using Microsoft.EntityFrameworkCore;
using Pgvector;
using Pgvector.EntityFrameworkCore;

namespace CarRecommender.Api.Listings;

/// <summary>The SQL behind listing search and similar listings.</summary>
public static class ListingQueries
{
    public static async Task<ListingPageDto> SearchAsync(CarRecommenderDb db, ListingFilter f, CancellationToken ct)
    {
        var query = db.Listings.AsNoTracking().Include(l => l.MarketPrice).Matching(f);
        var total = await query.LongCountAsync(ct);
        var ordered = f is { Sort: ListingSort.Distance, Latitude: { } lat, Longitude: { } lon }
            ? query.OrderBy(l => l.Latitude == null).ThenBy(Geo.DistanceKm(lat, lon)).ThenBy(l => l.Id)
            : Order(query, f.Sort);
        var page = await ordered.Skip((f.Page - 1) * f.PageSize).Take(f.PageSize).ToListAsync(ct);
        var items = page.Select(l => l.ToSummary(f is { Latitude: { } la, Longitude: { } lo } && l is { Latitude: { } ll, Longitude: { } lg }
            ? Geo.HaversineKm(la, lo, ll, lg)
            : null)).ToList();
        return new ListingPageDto(items, f.Page, f.PageSize, total);
    }

    /// <summary>
    /// "Because you viewed": the listing's content neighbours among the active listings (HNSW, cosine; 3 × limit) and the
    /// hottest active listings of its car model's most related models (the newest car-model EASE links, a primary-key
    /// range read; then the b-tree on status, car model and trend key), blended by <see cref="SimilarListings.Blend"/>.
    /// Never the listing itself. Null when there is no such listing.
    /// </summary>
    public static async Task<List<SimilarListingDto>?> SimilarAsync(CarRecommenderDb db, long id, int limit, double contentWeight, CancellationToken ct)
    {
        var listing = await db.Listings.AsNoTracking().Where(l => l.Id == id)
            .Select(l => new { l.Make, l.Model, l.Price, l.BodyType, l.Fuel, l.CarModel, l.ContentVector })
            .SingleOrDefaultAsync(ct);
        if (listing is null) return null;
        var links = await db.CarModelLinks.AsNoTracking()
            .Where(k => k.CarModel == listing.CarModel && k.ModelVersionId == db.CarModelLinks.Max(m => (long?)m.ModelVersionId))
            .OrderByDescending(k => k.Weight).ThenBy(k => k.Related)
            .Select(k => new { k.Related, k.Weight })
            .ToListAsync(ct);

        var vector = listing.ContentVector;
        var active = db.Listings.AsNoTracking().Where(l => l.Status == ListingStatus.Active && l.Id != id);
        var neighbours = vector is null ? [] : await WithCosine(active.Where(l => l.ContentVector != null)
            .OrderBy(l => l.ContentVector!.CosineDistance(vector)).Take(3 * limit), vector).ToListAsync(ct);
        var related = links.Take(SimilarListings.RelatedModels).Select(k => k.Related).ToArray();
        // the related models' hottest: their range of the popularity b-tree, each row's listing joined by its key
        var hottest = related.Length == 0 ? [] : await WithCosine(IndexedSources.HottestFirst(db, active, p => related.Contains(p.CarModel))
            .Select(h => h.Listing).Take(limit), vector).ToListAsync(ct);

        var picks = SimilarListings.Blend(
            new SimilarCar(id, listing.Make, listing.Model, listing.Price, listing.BodyType, listing.Fuel),
            neighbours.Select(r => r.ToCandidate()).ToList(), hottest.Select(r => r.ToCandidate()).ToList(),
            links.Select(k => new CarModelLink(k.Related, k.Weight)).ToList(), limit, contentWeight);
        foreach (var r in neighbours.Concat(hottest)) r.Listing.MarketPrice = r.Market;
        var rows = neighbours.Concat(hottest).DistinctBy(r => r.Listing.Id).ToDictionary(r => r.Listing.Id, r => r.Listing);
        return picks.Select(p => new SimilarListingDto(rows[p.Car.ListingId].ToSummary(), Math.Round(p.Cosine, 4), Math.Round(p.Score, 4),
            p.SourceName, p.Reason)).ToList();
    }

    private sealed record SimilarRow(Listing Listing, double? Distance, ListingPrice? Market)
    {
        public SimilarCandidate ToCandidate() =>
            new(new SimilarCar(Listing.Id, Listing.Make, Listing.Model, Listing.Price, Listing.BodyType, Listing.Fuel), Distance is { } d ? 1 - d : 0);
    }

    /// <summary>The listings with their cosine distance to <paramref name="vector"/> (null for a listing without a vector, or without one to compare to).</summary>
    private static IQueryable<SimilarRow> WithCosine(IQueryable<Listing> listings, Vector? vector) => vector is null
        ? listings.Select(l => new SimilarRow(l, null, l.MarketPrice))
        : listings.Select(l => new SimilarRow(l, l.ContentVector == null ? null : l.ContentVector.CosineDistance(vector), l.MarketPrice));

    private static IQueryable<Listing> Order(IQueryable<Listing> q, ListingSort sort) => sort switch
    {
        ListingSort.PriceAsc => q.OrderBy(l => l.Price).ThenBy(l => l.Id),
        ListingSort.PriceDesc => q.OrderByDescending(l => l.Price).ThenBy(l => l.Id),
        ListingSort.YearDesc => q.OrderByDescending(l => l.Year).ThenBy(l => l.Id),
        ListingSort.YearAsc => q.OrderBy(l => l.Year).ThenBy(l => l.Id),
        ListingSort.MileageAsc => q.OrderBy(l => l.MileageKm).ThenBy(l => l.Id),
        _ => q.OrderByDescending(l => l.CreatedAt).ThenByDescending(l => l.Id),
    };
}
