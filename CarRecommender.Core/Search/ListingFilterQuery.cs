using CarRecommender.Core.Domain;
using Microsoft.EntityFrameworkCore;

namespace CarRecommender.Core.Search;

/// <summary>A <see cref="ListingFilter"/> as EF Core predicates; search, recommendations and the admin console share it.</summary>
public static class ListingFilterQuery
{
    public static IQueryable<Listing> Matching(this IQueryable<Listing> q, ListingFilter f)
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

    /// <summary>Makes user text literal inside an ILIKE pattern (backslash is Postgres's default escape).</summary>
    public static string EscapeLike(string s) =>
        s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal);
}
