namespace CarRecommender.Contracts;

/// <summary>Impressions, clicks and click-through rate at one position of the served lists.</summary>
public sealed record PositionClickThroughDto(int Position, long Impressions, long Clicks, double Rate);

/// <summary>The answer of <c>GET /api/admin/click-through</c>: per position, over the last <paramref name="Days"/> days.</summary>
public sealed record ClickThroughDto(int Days, IReadOnlyList<PositionClickThroughDto> Positions);

/// <summary>A feature's share of the learned model's split gain.</summary>
public sealed record FeatureImportanceDto(string Feature, double Importance);

/// <summary>
/// A learned model's offline comparison with the blend on the newest lists: mean NDCG@<paramref name="K"/> of each,
/// how many lists, the one-sided p-value of "better by more than <paramref name="Margin"/>", and whether it won.
/// </summary>
public sealed record RankerComparisonDto(int Lists, double LearnedNdcg, double BlendNdcg, double PValue, bool Wins, double Margin, int K);

/// <summary>One trained learned-ranker model.</summary>
public sealed record RankerModelDto(long Id, DateTimeOffset TrainedAt, bool Serving, int TrainingLists, IReadOnlyList<FeatureImportanceDto> Importances,
    RankerComparisonDto Comparison);

/// <summary>The answer of <c>GET /api/admin/ranker</c>: the model that serves (null: the blend ranks) and the newest one trained.</summary>
public sealed record RankerStatusDto(RankerModelDto? Serving, RankerModelDto? Latest);
