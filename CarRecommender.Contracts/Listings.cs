namespace CarRecommender.Contracts;

/// <summary>A listing as a search result or a neighbour; <paramref name="Market"/> is its market price (null: not estimated).</summary>
public sealed record ListingSummaryDto(
    long Id, string Make, string Model, int Year, int Price, int MileageKm, string Fuel, string Transmission,
    string BodyType, int? PowerKw, string? City, string Status, DateTimeOffset CreatedAt, double? DistanceKm, string? SellerId = null,
    MarketPriceDto? Market = null);

/// <summary>
/// What the market price model of the listing's market (its currency) says of its asking price: the market price of
/// similar cars (<paramref name="Estimate"/>), the interval such cars' prices usually fall in (<paramref name="Low"/> to
/// <paramref name="High"/>, the 10th to 90th percentile), all in <paramref name="Currency"/>; the deviation
/// (asking − estimate) / estimate; the deal rating (great, good, fair, high, overpriced), a sentence
/// ("CHF 1,900 below similar cars") and the version of the market's model that estimated it.
/// </summary>
public sealed record MarketPriceDto(double Estimate, double Low, double High, string Currency, double Deviation, string Rating, string Reason,
    int ModelVersion);

/// <summary>
/// A listing similar to another: <paramref name="Similarity"/> is their cosine similarity in content space ([-1, 1]),
/// <paramref name="Score"/> blends it with the car-model "also viewed" signal (the list is ordered by it),
/// <paramref name="Source"/> is "content" or "also-viewed", and <paramref name="Reason"/> says why in words.
/// </summary>
public sealed record SimilarListingDto(ListingSummaryDto Listing, double Similarity, double Score, string Source, string Reason);
