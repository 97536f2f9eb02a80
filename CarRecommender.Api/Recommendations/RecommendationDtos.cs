using CarRecommender.Api.Listings;
using CarRecommender.Core.Search;

namespace CarRecommender.Api.Recommendations;

/// <summary>
/// The query of <c>GET /api/users/me/recommendations</c>: a limit and the listing-search filters (values as strings,
/// validated by <see cref="ListingQueryParser"/> so every bad value gets a message naming the field).
/// </summary>
public sealed record RecommendationQuery
{
    public string? Limit { get; init; }
    public string? Make { get; init; }
    public string? Model { get; init; }
    public string? Q { get; init; }
    public string? MinPrice { get; init; }
    public string? MaxPrice { get; init; }
    public string? MinYear { get; init; }
    public string? MaxYear { get; init; }
    public string? MinMileage { get; init; }
    public string? MaxMileage { get; init; }
    public string? MinPowerKw { get; init; }
    public string? MaxPowerKw { get; init; }
    public string? Fuel { get; init; }
    public string? Transmission { get; init; }
    public string? BodyType { get; init; }
    public string? SellerType { get; init; }
    public string? Lat { get; init; }
    public string? Lon { get; init; }
    public string? RadiusKm { get; init; }

    public ListingQuery ToListingQuery() => new()
    {
        Make = Make,
        Model = Model,
        Q = Q,
        MinPrice = MinPrice,
        MaxPrice = MaxPrice,
        MinYear = MinYear,
        MaxYear = MaxYear,
        MinMileage = MinMileage,
        MaxMileage = MaxMileage,
        MinPowerKw = MinPowerKw,
        MaxPowerKw = MaxPowerKw,
        Fuel = Fuel,
        Transmission = Transmission,
        BodyType = BodyType,
        SellerType = SellerType,
        Lat = Lat,
        Lon = Lon,
        RadiusKm = RadiusKm,
    };
}
