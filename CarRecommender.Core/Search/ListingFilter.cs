using CarRecommender.Core.Domain;
using CarRecommender.Core.Pricing;

namespace CarRecommender.Core.Search;

public enum ListingSort { Newest, PriceAsc, PriceDesc, YearDesc, YearAsc, MileageAsc, Distance }

/// <summary>A validated listing search: every field already checked, ranges ordered.</summary>
public sealed record ListingFilter
{
    public string? Make { get; init; }
    public string? Model { get; init; }
    public string[] Terms { get; init; } = [];
    public int? MinPrice { get; init; }
    public int? MaxPrice { get; init; }
    public int? MinYear { get; init; }
    public int? MaxYear { get; init; }
    public int? MinMileage { get; init; }
    public int? MaxMileage { get; init; }
    public int? MinPowerKw { get; init; }
    public int? MaxPowerKw { get; init; }
    public FuelType[] Fuels { get; init; } = [];
    public Transmission[] Transmissions { get; init; } = [];
    public BodyType[] BodyTypes { get; init; } = [];
    public SellerType[] SellerTypes { get; init; } = [];
    /// <summary>Null means any status.</summary>
    public ListingStatus? Status { get; init; } = ListingStatus.Active;
    public double? Latitude { get; init; }
    public double? Longitude { get; init; }
    public double? RadiusKm { get; init; }
    /// <summary>
    /// This deal rating or better (<c>deal=great</c>: great deals only; <c>deal=good</c>: great and good ones): listings
    /// whose market price estimate puts their deviation at or below the rating's bound. Listings without an estimate never pass.
    /// </summary>
    public DealRating? Deal { get; init; }
    public ListingSort Sort { get; init; } = ListingSort.Newest;
    public int Page { get; init; } = 1;
    public int PageSize { get; init; } = ListingQueryParser.DefaultPageSize;

    /// <summary>True when anything beyond status, sort and paging narrows the result.</summary>
    public bool HasFilters =>
        Make is not null || Model is not null || Terms.Length > 0 || MinPrice is not null || MaxPrice is not null ||
        MinYear is not null || MaxYear is not null || MinMileage is not null || MaxMileage is not null ||
        MinPowerKw is not null || MaxPowerKw is not null || Fuels.Length > 0 || Transmissions.Length > 0 ||
        BodyTypes.Length > 0 || SellerTypes.Length > 0 || RadiusKm is not null || Deal is not null;
}
