namespace CarRecommender.Contracts;

/// <summary>A listing as a search result or a neighbour.</summary>
public sealed record ListingSummaryDto(
    long Id, string Make, string Model, int Year, int Price, int MileageKm, string Fuel, string Transmission,
    string BodyType, int? PowerKw, string? City, string Status, DateTimeOffset CreatedAt, double? DistanceKm, string? SellerId = null);

/// <summary>A listing near another one in content space; similarity is cosine similarity in [-1, 1].</summary>
public sealed record SimilarListingDto(ListingSummaryDto Listing, double Similarity);
