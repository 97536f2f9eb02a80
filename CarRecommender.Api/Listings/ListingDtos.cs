using CarRecommender.Core.Domain;
using CarRecommender.Core.Pricing;

namespace CarRecommender.Api.Listings;

/// <summary>
/// Everything about one listing. Price is in euros (what filters and ranking compare); AskingPrice is in Currency, as
/// the feed gave it. Unknown categories read "Unknown"; an unknown power, city or position is null. Attributes are what the source
/// said beyond our fields (engine size, fuel economy…).
/// </summary>
public sealed record ListingDetailDto(
    long Id, string Make, string Model, int Year, int Price, int MileageKm, string Fuel, string Transmission,
    string BodyType, int? PowerKw, string Colour, string SellerType, string? City, double? Latitude, double? Longitude,
    string Status, DateTimeOffset CreatedAt, int ViewCount, int SaveCount, int ContactCount, bool HasContentVector,
    int AskingPrice, string Currency, string Source, string? ExternalId, System.Text.Json.JsonElement? Attributes, DateTimeOffset? UpdatedAt,
    MarketPriceDto? Market = null);

/// <summary>A page of search results with the total count of matches.</summary>
public sealed record ListingPageDto(IReadOnlyList<ListingSummaryDto> Items, int Page, int PageSize, long Total);

public static class ListingMapping
{
    public static ListingSummaryDto ToSummary(this Listing l, double? distanceKm = null) => new(
        l.Id, l.Make, l.Model, l.Year, l.Price, l.MileageKm, l.Fuel.ToString(), l.Transmission.ToString(),
        l.BodyType.ToString(), l.PowerKw, l.City, l.Status.ToString(), l.CreatedAt,
        distanceKm is null ? null : Math.Round(distanceKm.Value, 1), l.SellerId, l.Market());

    /// <summary>The listing's market price as the API shows it (null: not estimated, or not read with the listing).</summary>
    public static MarketPriceDto? Market(this Listing l) => l.MarketPrice is { } p
        ? p.ToDto(l.AskingPrice > 0 ? l.AskingPrice : l.Price)
        : null;

    public static MarketPriceDto ToDto(this ListingPrice p, int askingPrice) => new(
        Math.Round(p.Estimate), Math.Round(p.Low), Math.Round(p.High), p.Currency, Math.Round(p.Deviation, 4), DealRatings.Name(p.Rating),
        DealRatings.Reason(askingPrice, p.Estimate, p.Currency), p.ModelVersion);

    public static ListingDetailDto ToDetail(this Listing l) => new(
        l.Id, l.Make, l.Model, l.Year, l.Price, l.MileageKm, l.Fuel.ToString(), l.Transmission.ToString(),
        l.BodyType.ToString(), l.PowerKw, l.Colour, l.SellerType.ToString(), l.City, l.Latitude, l.Longitude,
        l.Status.ToString(), l.CreatedAt, l.Popularity?.ViewCount ?? 0, l.Popularity?.SaveCount ?? 0, l.Popularity?.ContactCount ?? 0,
        l.ContentVector is not null,
        l.AskingPrice, l.Currency, l.Source, l.ExternalId,
        l.Attributes is null ? null : System.Text.Json.JsonDocument.Parse(l.Attributes).RootElement.Clone(), l.UpdatedAt, l.Market());
}
