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
    /// <summary>Listing ids to leave out: <c>exclude=1,2,3</c> or <c>exclude=1&amp;exclude=2</c>, at most <see cref="MaxExclude"/>.</summary>
    public string[]? Exclude { get; init; }
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
    /// <summary>great, good or fair: that deal rating or better.</summary>
    public string? Deal { get; init; }

    public const int MaxExclude = 200;

    /// <summary>
    /// The request as the engine takes it: the filter (null without one), the limit (1 to the stored list's size,
    /// <see cref="RecommendationService.DefaultLimit"/> when absent) and the excluded ids; every bad value gets a message
    /// under its field in the returned dictionary (empty when all is well).
    /// </summary>
    public Dictionary<string, string[]> Parse(out ListingFilter? filter, out int limit, out IReadOnlySet<long> exclude)
    {
        ListingQueryParser.TryParse(ToListingQuery(), out var parsed, out var errors);
        filter = parsed.HasFilters ? parsed : null;
        limit = RecommendationService.DefaultLimit;
        if (Limit is not null && (!int.TryParse(Limit, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out limit)
                                  || limit < 1 || limit > Core.Recommendation.Store.RecommendationStore.ListSize))
            errors["limit"] = [$"limit must be a whole number from 1 to {Core.Recommendation.Store.RecommendationStore.ListSize}."];
        exclude = ExcludedIds(errors);
        return errors;
    }

    /// <summary>The ids of <see cref="Exclude"/>; a message under "exclude" in <paramref name="errors"/> when one is not an id.</summary>
    public IReadOnlySet<long> ExcludedIds(Dictionary<string, string[]> errors)
    {
        if (Exclude is not { Length: > 0 }) return Core.Recommendation.RecommendationRequest.EmptyIds;
        var ids = new HashSet<long>();
        foreach (var raw in Exclude.SelectMany(e => e.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)))
        {
            if (!long.TryParse(raw, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id) || id <= 0)
            {
                errors["exclude"] = [$"exclude takes listing ids (positive whole numbers, comma-separated); '{(raw.Length > 40 ? raw[..40] + "…" : raw)}' is not one."];
                return ids;
            }
            ids.Add(id);
        }
        if (ids.Count > MaxExclude) errors["exclude"] = [$"exclude takes at most {MaxExclude} listing ids; got {ids.Count}."];
        return ids;
    }

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
        Deal = Deal,
    };
}
