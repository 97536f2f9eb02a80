using System.Linq.Expressions;
using CarRecommender.Core.Domain;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Query;

namespace CarRecommender.Core.Search;

/// <summary>A <see cref="ListingFilter"/> as EF Core predicates; search, recommendations and the admin console share it.</summary>
public static class ListingFilterQuery
{
    public static IQueryable<Listing> Matching(this IQueryable<Listing> q, ListingFilter f) =>
        Predicates(f).Aggregate(q, (query, p) => query.Where(p));

    /// <summary>
    /// Rows of <paramref name="q"/> whose listing (<paramref name="listing"/>) passes <paramref name="f"/>: the same
    /// predicates over a projection that carries a listing with other columns (a popularity walk's trend key).
    /// </summary>
    public static IQueryable<T> Matching<T>(this IQueryable<T> q, ListingFilter f, Expression<Func<T, Listing>> listing) =>
        Predicates(f).Aggregate(q, (query, p) => query.Where(Expression.Lambda<Func<T, bool>>(
            ReplacingExpressionVisitor.Replace(p.Parameters[0], listing.Body, p.Body), listing.Parameters)));

    /// <summary>The filter as one predicate per condition it sets.</summary>
    private static IEnumerable<Expression<Func<Listing, bool>>> Predicates(ListingFilter f)
    {
        if (f.Status is { } status) yield return l => l.Status == status;
        // lower() equality, served by the ix_listings_lower_make_model expression index
        if (f.Make?.ToLowerInvariant() is { } make) yield return l => l.Make.ToLower() == make;
        if (f.Model?.ToLowerInvariant() is { } model) yield return l => l.Model.ToLower() == model;
        foreach (var term in f.Terms)
        {
            var pattern = "%" + EscapeLike(term) + "%";
            yield return l => EF.Functions.ILike(l.Make, pattern) || EF.Functions.ILike(l.Model, pattern);
        }
        if (f.MinPrice is { } minPrice) yield return l => l.Price >= minPrice;
        if (f.MaxPrice is { } maxPrice) yield return l => l.Price <= maxPrice;
        if (f.MinYear is { } minYear) yield return l => l.Year >= minYear;
        if (f.MaxYear is { } maxYear) yield return l => l.Year <= maxYear;
        if (f.MinMileage is { } minKm) yield return l => l.MileageKm >= minKm;
        if (f.MaxMileage is { } maxKm) yield return l => l.MileageKm <= maxKm;
        if (f.MinPowerKw is { } minKw) yield return l => l.PowerKw >= minKw;
        if (f.MaxPowerKw is { } maxKw) yield return l => l.PowerKw <= maxKw;
        if (f.Fuels.Length > 0) yield return l => f.Fuels.Contains(l.Fuel);
        if (f.Transmissions.Length > 0) yield return l => f.Transmissions.Contains(l.Transmission);
        if (f.BodyTypes.Length > 0) yield return l => f.BodyTypes.Contains(l.BodyType);
        if (f.SellerTypes.Length > 0) yield return l => f.SellerTypes.Contains(l.SellerType);
        if (f.Deal is { } deal && Pricing.DealRatings.AtOrBelow(deal) is var bound)
            // the estimate's row by its key (a left join on listing_prices' primary key)
            yield return l => l.MarketPrice != null && l.MarketPrice.Deviation <= bound;
        if (f is { RadiusKm: { } r, Latitude: { } lat, Longitude: { } lon })
        {
            // a bounding box the (latitude, longitude) index can use, then the exact great-circle distance
            var dLat = r / Geo.KmPerDegreeLatitude;
            var dLon = r / (Geo.KmPerDegreeLatitude * Math.Max(0.01, Math.Cos(lat * Math.PI / 180)));
            yield return l => l.Latitude >= lat - dLat && l.Latitude <= lat + dLat && l.Longitude >= lon - dLon && l.Longitude <= lon + dLon;
            yield return Geo.Within(lat, lon, r);
        }
    }

    /// <summary>Makes user text literal inside an ILIKE pattern (backslash is Postgres's default escape).</summary>
    public static string EscapeLike(string s) =>
        s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal);
}
