namespace CarRecommender.Contracts;

/// <summary>A row of the admin listing grid, with the listing's counters.</summary>
public sealed record AdminListingDto(long Id, string Make, string Model, int Year, int Price, int MileageKm, string Fuel, string BodyType,
    string? City, string Status, int ViewCount, int SaveCount, int ContactCount);

/// <summary>
/// One listing as the console inspects it: its content vector, whether ALS has factors for it, how many events it drew,
/// until when it is promoted (null: not promoted), its seller and its market price (null: not estimated).
/// </summary>
public sealed record AdminListingDetailDto(AdminListingDto Listing, string Transmission, int? PowerKw, string Colour, string SellerType,
    DateTimeOffset CreatedAt, float[]? ContentVector, bool HasLatentVector, long Interactions, DateTimeOffset? PromotedUntil = null,
    string? SellerId = null, MarketPriceDto? Market = null);

/// <summary>
/// A page of a grid. <paramref name="Total"/> is counted up to a cap (grids stay fast at a million rows);
/// <paramref name="TotalIsCapped"/> says there are more.
/// </summary>
public sealed record CappedPageDto<T>(IReadOnlyList<T> Items, int Page, int PageSize, long Total, bool TotalIsCapped);

/// <summary>A listing's content vector with what the vector-space plot labels and colours it by.</summary>
public sealed record VectorPointDto(long Id, string Label, string BodyType, int Price, float[] Vector);
