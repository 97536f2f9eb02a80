using CarRecommender.Core.Pricing;

namespace CarRecommender.Core.Domain;

/// <summary>
/// One trained market price model (<see cref="MarketPriceModel"/>): its market (a currency), its version within that
/// market, what its cross-validation found (<see cref="Metrics"/>, the <see cref="CrossValidation"/> as JSON) and the
/// saved model. Only the newest few versions of a market keep their bytes; older rows stay as history. One row per
/// market is <see cref="Active"/>: the one whose estimates <c>listing_prices</c> holds.
/// </summary>
public sealed class PriceModelVersion
{
    public long Id { get; set; }
    /// <summary>The currency the model prices in (ISO 4217).</summary>
    public required string Market { get; set; }
    /// <summary>1, 2, 3… within the market.</summary>
    public int Version { get; set; }
    public DateTimeOffset TrainedAt { get; set; }
    /// <summary>How many listings it was trained on.</summary>
    public int Rows { get; set; }
    public double TrainingSeconds { get; set; }
    /// <summary>What started it: startup, import, schedule, admin.</summary>
    public string Trigger { get; set; } = "";
    /// <summary>The cross-validation (model and baseline accuracy, residual quantiles) as JSON.</summary>
    public string Metrics { get; set; } = "{}";
    /// <summary>The saved model (<see cref="MarketPriceModel.Save()"/>); null once newer versions pushed it out.</summary>
    public byte[]? Model { get; set; }
    public bool Active { get; set; }

    /// <summary>How many versions of a market keep their model bytes.</summary>
    public const int KeptModels = 5;
}

/// <summary>
/// A listing's market price under its market's active model: the estimate, the interval similar cars' prices usually fall
/// in, the asking price's deviation from the estimate and the deal rating it earns. Replaced whole per market when a new
/// model is switched in, and per listing when a listing is added or repriced.
/// </summary>
public sealed class ListingPrice
{
    public long ListingId { get; set; }
    public long ModelId { get; set; }
    /// <summary>The model's version within its market, kept beside its id so a listing read needs no join to the models.</summary>
    public int ModelVersion { get; set; }
    public required string Currency { get; set; }
    public double Estimate { get; set; }
    public double Low { get; set; }
    public double High { get; set; }
    /// <summary>(asking price − estimate) / estimate.</summary>
    public double Deviation { get; set; }
    public DealRating Rating { get; set; }
    public DateTimeOffset EstimatedAt { get; set; }
}
