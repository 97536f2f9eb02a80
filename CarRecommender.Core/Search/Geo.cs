using System.Linq.Expressions;
using CarRecommender.Core.Domain;

namespace CarRecommender.Core.Search;

/// <summary>Great-circle distances, in C# and as an expression that Npgsql translates to SQL.</summary>
public static class Geo
{
    public const double EarthRadiusKm = 6371.0;
    public const double KmPerDegreeLatitude = 111.2;

    public static double HaversineKm(double lat1, double lon1, double lat2, double lon2) =>
        2 * EarthRadiusKm * Math.Asin(Math.Sqrt(
            Math.Pow(Math.Sin((lat2 - lat1) * Math.PI / 360), 2) +
            Math.Cos(lat1 * Math.PI / 180) * Math.Cos(lat2 * Math.PI / 180) * Math.Pow(Math.Sin((lon2 - lon1) * Math.PI / 360), 2)));

    /// <summary>The same formula over a listing's coordinates, for WHERE and ORDER BY (null for a listing without a position).</summary>
    public static Expression<Func<Listing, double?>> DistanceKm(double lat, double lon) => l =>
        2 * EarthRadiusKm * Math.Asin(Math.Sqrt(
            Math.Pow(Math.Sin((l.Latitude!.Value - lat) * Math.PI / 360), 2) +
            Math.Cos(lat * Math.PI / 180) * Math.Cos(l.Latitude!.Value * Math.PI / 180) * Math.Pow(Math.Sin((l.Longitude!.Value - lon) * Math.PI / 360), 2)));

    /// <summary><c>distance(listing) ≤ radiusKm</c> as a predicate.</summary>
    public static Expression<Func<Listing, bool>> Within(double lat, double lon, double radiusKm)
    {
        var distance = DistanceKm(lat, lon);
        return Expression.Lambda<Func<Listing, bool>>(
            Expression.LessThanOrEqual(distance.Body, Expression.Constant(radiusKm, typeof(double?))), distance.Parameters);
    }
}
