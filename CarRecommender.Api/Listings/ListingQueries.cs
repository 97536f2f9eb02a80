using CarRecommender.Core.Data;
using CarRecommender.Core.Domain;
using CarRecommender.Core.Search;
using Microsoft.EntityFrameworkCore;
using Pgvector.EntityFrameworkCore;

namespace CarRecommender.Api.Listings;

/// <summary>The SQL behind listing search and similar listings.</summary>
public static class ListingQueries
{
    public static async Task<ListingPageDto> SearchAsync(CarRecommenderDb db, ListingFilter f, CancellationToken ct)
    {
        var query = db.Listings.AsNoTracking().Matching(f);
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

    /// <summary>Nearest active listings by content vector (HNSW, cosine), excluding the listing itself.</summary>
    public static async Task<List<SimilarListingDto>?> SimilarAsync(CarRecommenderDb db, long id, int limit, CancellationToken ct)
    {
        var vector = await db.Listings.Where(l => l.Id == id).Select(l => l.ContentVector).SingleOrDefaultAsync(ct);
        if (vector is null)
            return await db.Listings.AnyAsync(l => l.Id == id, ct) ? [] : null;

        var rows = await db.Listings.AsNoTracking()
            .Where(l => l.Status == ListingStatus.Active && l.Id != id && l.ContentVector != null)
            .OrderBy(l => l.ContentVector!.CosineDistance(vector))
            .Take(limit)
            .Select(l => new { Listing = l, Distance = l.ContentVector!.CosineDistance(vector) })
            .ToListAsync(ct);
        // iterative index scans (relaxed order) may return neighbours slightly out of order
        return rows.OrderBy(r => r.Distance).Select(r => new SimilarListingDto(r.Listing.ToSummary(), Math.Round(1 - r.Distance, 4))).ToList();
    }

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
