namespace CarRecommender.Core.Learning;

/// <summary>Settings under <c>Als</c>.</summary>
public sealed class AlsSettings
{
    public int Iterations { get; set; } = 15;
    public double Regularization { get; set; } = 0.1;
    public double Alpha { get; set; } = 10;
    /// <summary>Minutes between scheduled retrains (0 turns the schedule off); a retrain runs only when events arrived since the last model.</summary>
    public double RetrainMinutes { get; set; } = 30;

    /// <summary>The rank is fixed by the latent_vector columns.</summary>
    public AlsOptions ToOptions() => new(CarRecommender.Core.Domain.VectorSizes.Latent, Iterations, Regularization, Alpha);
}
