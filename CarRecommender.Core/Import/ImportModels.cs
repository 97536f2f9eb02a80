namespace CarRecommender.Core.Import;

/// <summary>The listing fields a CSV column can map to.</summary>
public enum ImportField { Make, Model, Year, Price, Mileage, Fuel, Transmission, Body, PowerKw, PowerHp, Colour, SellerType, City, Latitude, Longitude, ExternalId, Currency, SellerId }

/// <summary>The unit of a file's mileage column.</summary>
public enum MileageUnit { Km, Miles }

/// <summary>A row that could not be imported, with the reason a person can act on, and the row as read.</summary>
public sealed record ImportRejection(long Line, string Reason, string? Raw = null);

/// <summary>How to read and apply a file: its source (the feed), unit and currency overrides, sync, who runs it.</summary>
public sealed record ImportOptions
{
    /// <summary>The feed's name: listings are keyed by (source, external id), and <see cref="Sync"/> acts on this source only.</summary>
    public string Source { get; init; } = "import";
    public string FileName { get; init; } = "upload.csv";
    public string StartedBy { get; init; } = "cli";
    public IReadOnlyDictionary<string, string> Map { get; init; } = new Dictionary<string, string>();
    /// <summary>Overrides the mileage unit the importer would decide from the header and the data.</summary>
    public MileageUnit? Units { get; init; }
    /// <summary>ISO 4217 code of the file's prices (a currency column, when present, wins per row).</summary>
    public string Currency { get; init; } = "EUR";
    /// <summary>Marks the source's listings absent from the file as sold.</summary>
    public bool Sync { get; init; }
}

/// <summary>One row as the importer would store it (a preview of the mapping).</summary>
public sealed record PreviewRow(string Make, string Model, int Year, int Price, int AskingPrice, string Currency, int MileageKm, string Fuel,
    string Transmission, string BodyType, int? PowerKw, string? ExternalId, string? Attributes);

/// <summary>What an import of a file's head would do, without writing anything: mapping, decisions, the first rows.</summary>
public sealed record ImportPreview(IReadOnlyDictionary<string, string> Mapping, string? MileageUnit, string? MileageUnitReason,
    IReadOnlyList<PreviewRow> Rows, long RowsRead, IReadOnlyList<ImportRejection> Rejections, IReadOnlyList<string> Decisions,
    IReadOnlyList<string> Warnings);

/// <summary>
/// What an import did: counts (rows read, inserted, updated in place, unchanged, marked sold, rejected), the column
/// mapping, the decisions it took with their evidence (units, currency, inferred attributes), rejected rows and warnings.
/// </summary>
public sealed record ImportReport(long RowsRead, long Imported, long Rejected, IReadOnlyDictionary<string, string> Mapping,
    IReadOnlyList<ImportRejection> Rejections, IReadOnlyList<string> Warnings)
{
    public long? ImportId { get; init; }
    public string? Source { get; init; }
    public long Inserted { get; init; }
    public long Updated { get; init; }
    public long Unchanged { get; init; }
    public long MarkedSold { get; init; }
    public double DurationSeconds { get; init; }
    /// <summary>The mileage unit used, and why ("header 'Kilometerstand' says km", "median 6,120 per year of age: miles").</summary>
    public string? MileageUnit { get; init; }
    public string? MileageUnitReason { get; init; }
    public string? Currency { get; init; }
    /// <summary>What was inferred or left unknown, per attribute: "body: 61,204 inferred from the reference, 312 unknown".</summary>
    public IReadOnlyList<string> Decisions { get; init; } = [];
    /// <summary>Seconds per phase (read and stage, match and update, insert, sync), for the operator and the benchmark.</summary>
    public IReadOnlyDictionary<string, double> Phases { get; init; } = new Dictionary<string, double>();
}
