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
        var query = Apply(db.Listings.AsNoTracking(), f);
        var total = await query.LongCountAsync(ct);
        var ordered = f is { Sort: ListingSort.Distance, Latitude: { } lat, Longitude: { } lon }
            ? query.OrderBy(Geo.DistanceKm(lat, lon)).ThenBy(l => l.Id)
            : Order(query, f.Sort);
        var page = await ordered.Skip((f.Page - 1) * f.PageSize).Take(f.PageSize).ToListAsync(ct);
        var items = page.Select(l => l.ToSummary(f is { Latitude: { } la, Longitude: { } lo }
            ? Geo.HaversineKm(la, lo, l.Latitude, l.Longitude)
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

    public static IQueryable<Listing> Apply(IQueryable<Listing> q, ListingFilter f)
    {
        if (f.Status is { } status) q = q.Where(l => l.Status == status);
        // lower() equality, served by the ix_listings_lower_make_model expression index
        if (f.Make?.ToLowerInvariant() is { } make) q = q.Where(l => l.Make.ToLower() == make);
        if (f.Model?.ToLowerInvariant() is { } model) q = q.Where(l => l.Model.ToLower() == model);
        foreach (var term in f.Terms)
        {
            var pattern = "%" + EscapeLike(term) + "%";
            q = q.Where(l => EF.Functions.ILike(l.Make, pattern) || EF.Functions.ILike(l.Model, pattern));
        }
        if (f.MinPrice is { } minPrice) q = q.Where(l => l.Price >= minPrice);
        if (f.MaxPrice is { } maxPrice) q = q.Where(l => l.Price <= maxPrice);
        if (f.MinYear is { } minYear) q = q.Where(l => l.Year >= minYear);
        if (f.MaxYear is { } maxYear) q = q.Where(l => l.Year <= maxYear);
        if (f.MinMileage is { } minKm) q = q.Where(l => l.MileageKm >= minKm);
        if (f.MaxMileage is { } maxKm) q = q.Where(l => l.MileageKm <= maxKm);
        if (f.MinPowerKw is { } minKw) q = q.Where(l => l.PowerKw >= minKw);
        if (f.MaxPowerKw is { } maxKw) q = q.Where(l => l.PowerKw <= maxKw);
        if (f.Fuels.Length > 0) q = q.Where(l => f.Fuels.Contains(l.Fuel));
        if (f.Transmissions.Length > 0) q = q.Where(l => f.Transmissions.Contains(l.Transmission));
        if (f.BodyTypes.Length > 0) q = q.Where(l => f.BodyTypes.Contains(l.BodyType));
        if (f.SellerTypes.Length > 0) q = q.Where(l => f.SellerTypes.Contains(l.SellerType));
        if (f is { RadiusKm: { } r, Latitude: { } lat, Longitude: { } lon })
        {
            // a bounding box the (latitude, longitude) index can use, then the exact great-circle distance
            var dLat = r / Geo.KmPerDegreeLatitude;
            var dLon = r / (Geo.KmPerDegreeLatitude * Math.Max(0.01, Math.Cos(lat * Math.PI / 180)));
            q = q.Where(l => l.Latitude >= lat - dLat && l.Latitude <= lat + dLat
                             && l.Longitude >= lon - dLon && l.Longitude <= lon + dLon);
            q = q.Where(Geo.Within(lat, lon, r));
        }
        return q;
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

    /// <summary>Makes user text literal inside an ILIKE pattern (backslash is Postgres's default escape).</summary>
    internal static string EscapeLike(string s) =>
        s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal);
}
