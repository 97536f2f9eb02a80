namespace CarRecommender.Contracts;

/// <summary>One import run; Report is the import's JSON report (mapping, units and why, decisions, warnings).</summary>
public sealed record ImportRunDto(long Id, string Source, string FileName, string StartedBy, DateTimeOffset StartedAt, double DurationSeconds, bool Sync,
    long RowsRead, long Inserted, long Updated, long Unchanged, long MarkedSold, long Rejected, string Report);

/// <summary>A price a listing was offered at: asking price in its currency, and in euros with the previous euro price.</summary>
public sealed record PriceChangeDto(DateTimeOffset ChangedAt, int AskingPrice, string Currency, int Price, int? PreviousPrice, long? ImportId);
