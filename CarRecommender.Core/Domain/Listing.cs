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
    /// <summary>
    /// Price in whole euros, the one currency prices are compared in (filters, ranking, the content vector): the asking
    /// price converted at import with the configured rates (<see cref="Import.CurrencyRates"/>).
    /// </summary>
    public int Price { get; set; }
    /// <summary>The price the seller asks, in <see cref="Currency"/>, as the feed gave it.</summary>
    public int AskingPrice { get; set; }
    /// <summary>ISO 4217 code of <see cref="AskingPrice"/>.</summary>
    public string Currency { get; set; } = "EUR";
    public int MileageKm { get; set; }
    public FuelType Fuel { get; set; }
    public Transmission Transmission { get; set; }
    public BodyType BodyType { get; set; }
    /// <summary>Engine power; null when the source did not say (imports), never guessed.</summary>
    public int? PowerKw { get; set; }
    public required string Colour { get; set; }
    public SellerType SellerType { get; set; }
    /// <summary>Where the car stands; all three null when the source did not say (imports), never guessed.</summary>
    public string? City { get; set; }
    public double? Latitude { get; set; }
    public double? Longitude { get; set; }
    public ListingStatus Status { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    /// <summary>When an import last changed the listing's price, attributes or status (null: never).</summary>
    public DateTimeOffset? UpdatedAt { get; set; }

    /// <summary>Where the listing comes from: "seed", "api", or an import's source (a feed's name).</summary>
    public string Source { get; set; } = "seed";
    /// <summary>The listing's id in its source (a feed's id column, or a key derived from the row); unique per source.</summary>
    public string? ExternalId { get; set; }
    /// <summary>What the source says beyond our fields (engine size, fuel economy, tax, offer type…) as a JSON object.</summary>
    public string? Attributes { get; set; }

    /// <summary>
    /// Who sells the car: a dealer's or private seller's id in the source (imports: a seller/dealer column; the generator:
    /// its dealers and private sellers). Null when the source did not say: the listing is then its own seller.
    /// </summary>
    public string? SellerId { get; set; }
    /// <summary>Paid promotion: the listing is promoted while this is in the future (set and cleared by admins).</summary>
    public DateTimeOffset? PromotedUntil { get; set; }
    /// <summary>When the current promotion was set (a stored list older than this is re-ranked).</summary>
    public DateTimeOffset? PromotedAt { get; set; }

    /// <summary>Content features (<see cref="Features.ContentEncoder"/>), written by seed, import and the API.</summary>
    public Vector? ContentVector { get; set; }
    /// <summary>Which encoder version produced <see cref="ContentVector"/>.</summary>
    public short EncoderVersion { get; set; }
    /// <summary>The counters and trending key the popularity pipeline keeps, in their own table (null unless read with it).</summary>
    public ListingPopularity? Popularity { get; set; }
    /// <summary>The market price model's estimate and deal rating, in a table of its own (null: not estimated, or not read with it).</summary>
    public ListingPrice? MarketPrice { get; set; }
}

/// <summary>
/// What shoppers do to a listing, apart from the listing: the view / save / contact counters and the trending key. The
/// popularity pipeline updates these rows for nearly every event; kept on the listing they made each update a new
/// version of a row with fifteen indexes (an HNSW insert among them). A row per listing, added by the database when
/// the listing is (a trigger), with a copy of its car model so the car-model source walks one b-tree.
/// </summary>
public sealed class ListingPopularity
{
    public long ListingId { get; set; }
    /// <summary>The listing's <see cref="Listing.CarModel"/>, kept equal by a trigger on listings.</summary>
    public string CarModel { get; set; } = "";
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

/// <summary>A price a listing was offered at, from the time it was first imported or changed.</summary>
public sealed class PriceChange
{
    public long Id { get; set; }
    public long ListingId { get; set; }
    public DateTimeOffset ChangedAt { get; set; }
    public int AskingPrice { get; set; }
    public required string Currency { get; set; }
    /// <summary>In euros, as <see cref="Listing.Price"/>.</summary>
    public int Price { get; set; }
    /// <summary>The previous price in euros, null for the first price seen.</summary>
    public int? PreviousPrice { get; set; }
    public long? ImportId { get; set; }
}

/// <summary>One run of the importer: what it read, what it did, who ran it.</summary>
public sealed class ImportRun
{
    public long Id { get; set; }
    public required string Source { get; set; }
    public required string FileName { get; set; }
    public required string StartedBy { get; set; }
    public DateTimeOffset StartedAt { get; set; }
    public double DurationSeconds { get; set; }
    public bool Sync { get; set; }
    public long RowsRead { get; set; }
    public long Inserted { get; set; }
    public long Updated { get; set; }
    public long Unchanged { get; set; }
    public long MarkedSold { get; set; }
    public long Rejected { get; set; }
    /// <summary>The whole report (mapping, units and why, inferences, warnings) as JSON.</summary>
    public required string Report { get; set; }
}

/// <summary>A rejected line of an import, kept so an operator can download, fix and re-import it.</summary>
public sealed class ImportRejectionRow
{
    public long ImportId { get; set; }
    public long Line { get; set; }
    public required string Reason { get; set; }
    /// <summary>The raw line as read (for the CSV download).</summary>
    public required string Raw { get; set; }
}

/// <summary>A change to a listing waiting to be published (the listings' outbox; see <see cref="Events.ListingChangeEvent"/>).</summary>
public sealed class ListingChange
{
    public long Id { get; set; }
    public long ListingId { get; set; }
    public required string Kind { get; set; }
    public int Price { get; set; }
    public int? PreviousPrice { get; set; }
    public DateTimeOffset OccurredAt { get; set; }
}
