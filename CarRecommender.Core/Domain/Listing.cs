using Pgvector;

namespace CarRecommender.Core.Domain;

/// <summary>A car for sale. Each car sells once, so listings are short-lived and content carries most signal.</summary>
public sealed class Listing
{
    public long Id { get; set; }
    public required string Make { get; set; }
    public required string Model { get; set; }
    /// <summary>"Make Model", computed by the database: the key of the car-model collaborative model (<see cref="Learning.CarModelEase"/>).</summary>
    public string CarModel { get; private set; } = "";
    public int Year { get; set; }
    /// <summary>Asking price in whole euros.</summary>
    public int Price { get; set; }
    public int MileageKm { get; set; }
    public FuelType Fuel { get; set; }
    public Transmission Transmission { get; set; }
    public BodyType BodyType { get; set; }
    public int PowerKw { get; set; }
    public required string Colour { get; set; }
    public SellerType SellerType { get; set; }
    public required string City { get; set; }
    public double Latitude { get; set; }
    public double Longitude { get; set; }
    public ListingStatus Status { get; set; }
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>Content features (<see cref="Features.ContentEncoder"/>), written by seed, import and the API.</summary>
    public Vector? ContentVector { get; set; }
    /// <summary>Which encoder version produced <see cref="ContentVector"/>.</summary>
    public short EncoderVersion { get; set; }
    public int ViewCount { get; set; }
    public int SaveCount { get; set; }
    public int ContactCount { get; set; }
    /// <summary>Time-decayed interaction weight in log space (<see cref="Ranking.Trending"/>): larger is hotter.</summary>
    public double TrendKey { get; set; }
}

/// <summary>
/// A listing's collaborative item factors under the serving ALS model (zero-padded to <see cref="VectorSizes.Latent"/>):
/// trained, or mapped from content for a listing nobody interacted with.
/// </summary>
public sealed class ListingFactors
{
    public long ListingId { get; set; }
    public required Vector Factors { get; set; }
}
