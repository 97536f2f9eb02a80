namespace CarRecommender.Contracts;

/// <summary>A listing as a search result or a neighbour.</summary>
public sealed record ListingSummaryDto(
    long Id, string Make, string Model, int Year, int Price, int MileageKm, string Fuel, string Transmission,
    string BodyType, int? PowerKw, string? City, string Status, DateTimeOffset CreatedAt, double? DistanceKm, string? SellerId = null);

/// <summary>
/// A listing similar to another: <paramref name="Similarity"/> is their cosine similarity in content space ([-1, 1]),
/// <paramref name="Score"/> blends it with the car-model "also viewed" signal (the list is ordered by it),
/// <paramref name="Source"/> is "content" or "also-viewed", and <paramref name="Reason"/> says why in words.
/// </summary>
public sealed record SimilarListingDto(ListingSummaryDto Listing, double Similarity, double Score, string Source, string Reason);
