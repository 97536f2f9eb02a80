using CarRecommender.Core.Evaluation;

namespace CarRecommender.Core.Learning;

/// <summary>Settings under <c>Als</c>.</summary>
public sealed class AlsSettings
{
    /// <summary>The setting trained when the self-tuning is off (<c>Als:Search:Enabled=false</c>); defaults to <see cref="ModelSearch.Default"/>.</summary>
    public int Factors { get; set; } = ModelSearch.Default.Factors;
    public int Iterations { get; set; } = ModelSearch.Default.Iterations;
    public double Regularization { get; set; } = ModelSearch.Default.Regularization;
    public double Alpha { get; set; } = ModelSearch.Default.Alpha;
    public ConfidenceScale Confidence { get; set; } = ModelSearch.Default.Confidence;
    public double RegularizationExponent { get; set; } = ModelSearch.Default.RegularizationExponent;
    /// <summary>Minutes between scheduled retrains (0 turns the schedule off); a retrain runs only when events arrived since the last model.</summary>
    public double RetrainMinutes { get; set; } = 30;
    /// <summary>The self-tuning each retrain runs first (on by default).</summary>
    public ModelSearchSettings Search { get; set; } = new();

    /// <summary>The fixed setting, its rank capped by the latent_vector column width.</summary>
    public AlsOptions ToOptions() => ModelSearch.Default with
    {
        Factors = Math.Min(Factors, Domain.VectorSizes.Latent),
        Iterations = Iterations,
        Regularization = Regularization,
        Alpha = Alpha,
        Confidence = Confidence,
        RegularizationExponent = RegularizationExponent,
    };

    /// <summary>What a retrain trains: null (search first) while the self-tuning is on, else <see cref="ToOptions"/>.</summary>
    public AlsOptions? FixedOptions => Search.Enabled ? null : ToOptions();
}
