using CarRecommender.Core.Domain;
using CarRecommender.Core.Learning;

namespace CarRecommender.Core.Recommendation;

/// <summary>Where a recommendation mainly came from; it picks the reason shown to the user.</summary>
public enum RecommendationSource { Content, Collaborative, Trending, CarModel, PriceDrop }

/// <summary>
/// A listing proposed by a candidate source, with what ranking needs: its vectors for scoring, diversity and reasons,
/// its trending key, its place, and its distance from the user when both have a location (set by the engine).
/// </summary>
public sealed record Candidate(
    long ListingId, string Make, string Model, int Year, int Price, BodyType BodyType,
    float[]? Content, float[]? Latent, double TrendKey, double? DistanceKm)
{
    public double? Latitude { get; init; }
    public double? Longitude { get; init; }
    /// <summary>Who sells it (null: unknown, the listing is its own seller for the per-seller cap).</summary>
    public string? SellerId { get; init; }
    /// <summary>Promoted while this is in the future (<see cref="Domain.Listing.PromotedUntil"/>).</summary>
    public DateTimeOffset? PromotedUntil { get; init; }
    // what boost expressions may test beyond the positional fields (Rules.BoostFacts)
    public int MileageKm { get; init; }
    public int? PowerKw { get; init; }
    public FuelType Fuel { get; init; }
    public Transmission Transmission { get; init; }
    public SellerType SellerType { get; init; }
    /// <summary>When the listing went online (the ranker's listing age).</summary>
    public DateTimeOffset? CreatedAt { get; init; }
    /// <summary>The market price model's estimate for this car, in <see cref="Currency"/> (null: no model covers its market).</summary>
    public double? MarketEstimate { get; init; }
    /// <summary>(asking price − estimate) / estimate: −0.08 is 8 % below similar cars (null: no estimate).</summary>
    public double? MarketDeviation { get; init; }
    /// <summary>The listing's currency, its market.</summary>
    public string Currency { get; init; } = "EUR";

    public bool IsPromoted(DateTimeOffset now) => PromotedUntil > now;
}

/// <summary>A listing in the user's history, aggregated over their events.</summary>
/// <param name="Strongest">The strongest positive thing they still stand by (contact &gt; share &gt; save &gt; view), or null.</param>
/// <param name="Dismissed">They said "not interested".</param>
public sealed record HistoryItem(
    long ListingId, string Make, string Model, int Year, InteractionType? Strongest, bool Dismissed,
    float[]? Content, float[]? Latent)
{
    /// <summary>Contacted or dismissed: never recommended again.</summary>
    public bool Excluded => Dismissed || Strongest is { } s && EventCatalogue.Of(s).Excludes;
    /// <summary>Viewed, saved or shared (nothing that excludes it): the user knows it already, so it comes back only with a lower score.</summary>
    public bool Seen => Strongest is { } s && EventCatalogue.Of(s).ShowsInterest && !Dismissed;
    /// <summary>Something a reason may point at ("similar to the … you saved").</summary>
    public bool IsAnchor => Strongest is not null && !Dismissed;
    /// <summary>Euros the price fell since the user last looked at the listing (null: it did not, or nothing says).</summary>
    public int? PriceDrop { get; init; }
    /// <summary>The listing's asking price (0: not known), for "price against the user's usual price".</summary>
    public int Price { get; init; }
}

/// <summary>What the ranker knows about the user.</summary>
public sealed record UserTaste(float[]? Content, float[]? Latent, int InteractionCount, IReadOnlyList<HistoryItem> History)
{
    /// <summary>The car-model EASE's scores for the user (<see cref="CarModelLinks.For"/>); empty without a trained model.</summary>
    public CarModelAffinity CarModels { get; init; } = CarModelAffinity.None;

    public static readonly UserTaste Cold = new(null, null, 0, []);
}

/// <summary>
/// One ranked recommendation: its reason, whether it is a promoted (paid) placement, and the business rules that shaped
/// its place (<see cref="Notes"/>: boosts, the seller cap, promotion), all shown in the item's explanation.
/// </summary>
public sealed record RankedListing(long ListingId, double Score, RecommendationSource Source, string Reason)
{
    public bool Promoted { get; init; }
    public IReadOnlyList<string> Notes { get; init; } = [];
}
