namespace CarRecommender.Contracts;

/// <summary>How close a model's (or the baseline's) out-of-fold estimates came to asking prices: MAE in the market's currency, APEs as fractions.</summary>
public sealed record PriceAccuracyDto(double MeanAbsoluteError, double MedianApe, double MeanApe);

/// <summary>
/// One version of a market's price model: when and on how many listings it was trained, by what (startup, import,
/// schedule, admin), its cross-validation against the group-median baseline, whether it serves (<paramref name="Active"/>)
/// and whether its bytes are still kept (the newest five per market).
/// </summary>
public sealed record PriceModelDto(long Id, string Market, int Version, DateTimeOffset TrainedAt, int Rows, double TrainingSeconds, string Trigger,
    bool Active, bool HasModel, int Folds, PriceAccuracyDto? Model, PriceAccuracyDto? Baseline);

/// <summary>How many of a market's listings carry a deal rating (great, good, fair, high, overpriced).</summary>
public sealed record DealRatingCountDto(string Rating, long Listings);

/// <summary>A market (a currency): its active model, its versions newest first, and its listings by deal rating.</summary>
public sealed record PriceMarketDto(string Market, PriceModelDto? Active, IReadOnlyList<PriceModelDto> Versions, IReadOnlyList<DealRatingCountDto> Ratings);
