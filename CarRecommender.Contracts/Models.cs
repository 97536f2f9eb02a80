namespace CarRecommender.Contracts;

/// <summary>One ALS run (<c>model_versions</c>): its settings, size, timings, loss per iteration and self-tuning.</summary>
public sealed record ModelVersionDto(long Id, DateTimeOffset CreatedAt, int Factors, int Iterations, double Regularization, double Alpha, int Users,
    int Items, long Interactions, long DurationMs, long TrainMs, double Loss, double[] LossHistory, int ColdItems, string Trigger,
    string Confidence = "Linear", double RegularizationExponent = 0, double? ValidationNdcg = null, ModelSearchDto? Search = null,
    int CarModels = 0, double? CarModelLambda = null, double? CarModelValidationNdcg = null);

/// <summary>The self-tuning stored with a model version: the validation used, every trial, and the setting chosen.</summary>
public sealed record ModelSearchDto(string Validation, int Users, double Seconds, string Chosen, double Ndcg, double Recall, SearchTrialDto[] Trials);

public sealed record SearchTrialDto(string Model, string Setting, double Ndcg, double Recall, double FitSeconds);
