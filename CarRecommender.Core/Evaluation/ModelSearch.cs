using System.Diagnostics;
using CarRecommender.Core.Data;
using CarRecommender.Core.Learning;

namespace CarRecommender.Core.Evaluation;

/// <summary>Settings of the self-tuning (configuration section <c>Als:Search</c>).</summary>
public sealed record ModelSearchSettings
{
    /// <summary>Off: production trains <see cref="ModelSearch.Default"/> without a search.</summary>
    public bool Enabled { get; set; } = true;
    /// <summary>Share of each user's newest interactions held out for validation.</summary>
    public double ValidationShare { get; set; } = 0.2;
    /// <summary>No new trial starts after this many seconds (the first ALS and EASE trials always run).</summary>
    public double MaxSeconds { get; set; } = 300;
    /// <summary>Cut-off of the validation NDCG that decides.</summary>
    public int K { get; set; } = 10;
    /// <summary>Largest ALS rank tried: the width of the stored latent vectors.</summary>
    public int MaxFactors { get; set; } = Domain.VectorSizes.Latent;
    /// <summary>Users sampled for validation scoring (0 = all): keeps a search over a big log bounded.</summary>
    public int MaxValidationUsers { get; set; } = 20_000;
    public int Seed { get; set; } = 42;
}

/// <summary>One setting tried by the search and its validation metrics.</summary>
public sealed record SearchTrial(string Model, string Setting, MetricsAtK Validation, double FitSeconds);

/// <summary>What the search chose (and so what serves), with every trial.</summary>
public sealed record SearchOutcome(AlsOptions Als, EaseOptions Ease, BlendWeights Blend, MetricsAtK AlsValidation, MetricsAtK EaseValidation,
    MetricsAtK BlendValidation, IReadOnlyList<SearchTrial> Trials, string ValidationProtocol, int ValidationUsers, double Seconds);

/// <summary>
/// Production's self-tuning, like Gorse's model search but validated: each user's newest interactions of the training
/// log are held out, a short list of ALS settings (chosen from Rendle et al. 2022's findings: binary or log-scaled
/// confidence, frequency-scaled λ, more λ with more factors) and EASE λs are fitted on the rest, then blend weights are
/// tried on the two winners; the best validation NDCG@K of each stage wins. Bounded in time; deterministic for a seed.
/// </summary>
public static class ModelSearch
{
    /// <summary>What production trains without a search (and the search's first ALS trial).</summary>
    public static readonly AlsOptions Default = new(Factors: 64, Iterations: 15, Regularization: 30, Alpha: 3, CgSteps: 3,
        Confidence: ConfidenceScale.Binary, RegularizationExponent: 1);

    public static readonly EaseOptions DefaultEase = new(Lambda: 200);

    public static IReadOnlyList<AlsOptions> AlsCandidates(int maxFactors) =>
        new[]
        {
            Default,
            Default with { Regularization = 15 },
            Default with { Confidence = ConfidenceScale.Log, Alpha = 5 },
            Default with { Regularization = 10, Alpha = 1, RegularizationExponent = 0 },
            Default with { Factors = 32, Regularization = 20 },
            Default with { Factors = 128, Regularization = 40 },
            Default with { Alpha = 10, Regularization = 30, Confidence = ConfidenceScale.Log },
            Default with { Factors = 128, Regularization = 20, Iterations = 20 },
        }.Where(o => o.Factors <= maxFactors).ToArray();

    public static readonly double[] EaseLambdas = [200, 100, 500, 50, 1000];

    public static readonly BlendWeights[] Blends =
    [
        new(1, 0, 0), new(0, 1, 0), new(0.25, 1, 0), new(0.5, 1, 0), new(0.75, 1, 0), new(1, 1, 0), new(1, 0.5, 0),
        new(0.5, 1, 0.05), new(0.5, 1, 0.15),
    ];

    /// <param name="alsCandidates">ALS settings to try instead of <see cref="AlsCandidates"/> (e.g. one fixed by the user).</param>
    /// <param name="easeLambdas">EASE λs to try instead of <see cref="EaseLambdas"/>.</param>
    /// <param name="protocol">How the validation slice is carved: null for production's newest share per user; an offline
    /// evaluation passes its own protocol, so the search validates for the task it is scored on.</param>
    public static SearchOutcome Run(InteractionLog log, LogEntry[] training, ModelSearchSettings settings, IProgress<LoadProgress>? progress = null,
        IReadOnlyList<AlsOptions>? alsCandidates = null, IReadOnlyList<double>? easeLambdas = null, SplitOptions? protocol = null,
        CancellationToken ct = default)
    {
        var clock = Stopwatch.StartNew();
        var validation = protocol is null
            ? DataSplit.NewestPerUser(log, training, settings.ValidationShare, settings.Seed)
            : DataSplit.Create(log, training, protocol with { Seed = protocol.Seed + 1 });
        validation = validation.Sample(settings.MaxValidationUsers, settings.Seed);
        var trials = new List<SearchTrial>();
        alsCandidates ??= AlsCandidates(settings.MaxFactors);
        easeLambdas ??= EaseLambdas;
        var stages = alsCandidates.Count + easeLambdas.Count + Blends.Length;
        var done = 0;
        bool Budget() => clock.Elapsed.TotalSeconds < settings.MaxSeconds;
        void Step() => progress?.Report(new LoadProgress("self-tuning: trials", ++done, stages));

        var (bestAls, bestAlsMetrics) = SearchAls(validation, alsCandidates, settings, trials, Budget, Step, ct);

        var (bestEase, bestEaseMetrics) = Best(validation, easeLambdas, settings.K, trials, Budget, Step,
            lambda => new EaseRecommender(DefaultEase with { Lambda = lambda }), lambda => ("EASE", $"λ {lambda:G4}"), ct);
        // blends reuse the two fitted winners, so every weight is tried whatever the time
        var (bestBlend, bestBlendMetrics) = Best(validation, Blends, settings.K, trials, () => true, Step,
            weights => new BlendRecommender(bestAls, bestEase, weights), weights => ("hybrid", weights.ToString()), ct);
        return new SearchOutcome(bestAls.Options, bestEase.Options, bestBlend.Weights, bestAlsMetrics, bestEaseMetrics, bestBlendMetrics, trials,
            Describe(validation), validation.TestUsers.Length, clock.Elapsed.TotalSeconds);
    }

    /// <summary>
    /// The ALS stage alone, what a production retrain runs on the listing-level log (EASE serves there at car-model
    /// level, not per listing): the validation slice is each user's newest share.
    /// </summary>
    public static SearchOutcome RunAls(InteractionLog log, ModelSearchSettings settings, IProgress<LoadProgress>? progress = null,
        IReadOnlyList<AlsOptions>? alsCandidates = null, CancellationToken ct = default)
    {
        var clock = Stopwatch.StartNew();
        var validation = DataSplit.NewestPerUser(log, log.Entries, settings.ValidationShare, settings.Seed).Sample(settings.MaxValidationUsers, settings.Seed);
        var trials = new List<SearchTrial>();
        alsCandidates ??= AlsCandidates(settings.MaxFactors);
        var done = 0;
        var (best, metrics) = SearchAls(validation, alsCandidates, settings, trials, () => clock.Elapsed.TotalSeconds < settings.MaxSeconds,
            () => progress?.Report(new LoadProgress("self-tuning: ALS trials", ++done, alsCandidates.Count)), ct);
        return new SearchOutcome(best.Options, DefaultEase, new BlendWeights(1, 0, 0), metrics, metrics, metrics, trials, Describe(validation),
            validation.TestUsers.Length, clock.Elapsed.TotalSeconds);
    }

    /// <summary>
    /// The EASE stage alone on a log (production runs it on the car-model log): λ by validation NDCG on each user's
    /// newest share, bounded by the same time budget.
    /// </summary>
    public static (EaseOptions Options, MetricsAtK Validation, IReadOnlyList<SearchTrial> Trials) RunEase(InteractionLog log, ModelSearchSettings settings,
        IReadOnlyList<double>? lambdas = null, IProgress<LoadProgress>? progress = null, CancellationToken ct = default)
    {
        var clock = Stopwatch.StartNew();
        var validation = DataSplit.NewestPerUser(log, log.Entries, settings.ValidationShare, settings.Seed).Sample(settings.MaxValidationUsers, settings.Seed);
        var trials = new List<SearchTrial>();
        lambdas ??= EaseLambdas;
        var done = 0;
        var (best, metrics) = Best(validation, lambdas, settings.K, trials, () => clock.Elapsed.TotalSeconds < settings.MaxSeconds,
            () => progress?.Report(new LoadProgress("self-tuning: EASE trials", ++done, lambdas.Count)),
            lambda => new EaseRecommender(DefaultEase with { Lambda = lambda }), lambda => ("EASE", $"λ {lambda:G4}"), ct);
        return (best.Options, metrics, trials);
    }

    private static (AlsRecommender Best, MetricsAtK Metrics) SearchAls(DataSplit validation, IReadOnlyList<AlsOptions> candidates,
        ModelSearchSettings settings, List<SearchTrial> trials, Func<bool> budget, Action step, CancellationToken ct) =>
        Best(validation, candidates, settings.K, trials, budget, step, options => new AlsRecommender(options with { Seed = settings.Seed }),
            options => ("ALS", Describe(options)), ct);

    /// <summary>
    /// One stage of the search: fits and scores each candidate on the validation slice, records every trial, and keeps
    /// the best validation NDCG@K (the first candidate always runs; no later one starts once <paramref name="budget"/> is spent).
    /// </summary>
    private static (TRecommender Best, MetricsAtK Metrics) Best<TCandidate, TRecommender>(DataSplit validation, IReadOnlyList<TCandidate> candidates,
        int k, List<SearchTrial> trials, Func<bool> budget, Action step, Func<TCandidate, TRecommender> create,
        Func<TCandidate, (string Model, string Setting)> describe, CancellationToken ct)
        where TRecommender : IRecommender
    {
        ArgumentOutOfRangeException.ThrowIfZero(candidates.Count);
        TRecommender? best = default;
        MetricsAtK? bestMetrics = null;
        foreach (var candidate in candidates)
        {
            if (bestMetrics is not null && !budget()) break;
            var recommender = create(candidate);
            var result = Evaluator.Run(validation, recommender, k, null, ct);
            var (model, setting) = describe(candidate);
            trials.Add(new SearchTrial(model, setting, result.Metrics, result.FitTime.TotalSeconds));
            if (bestMetrics is null || result.Metrics.Ndcg > bestMetrics.Ndcg) (best, bestMetrics) = (recommender, result.Metrics);
            step();
        }
        return (best!, bestMetrics!);
    }

    private static string Describe(DataSplit validation) => validation.Options.Protocol switch
    {
        SplitProtocol.Newest => $"newest {validation.Options.TestRatio:P0} per user",
        SplitProtocol.PerUser => $"random {validation.Options.TestRatio:P0} per user",
        SplitProtocol.Random => $"random {validation.Options.TestRatio:P0} of all pairs",
        _ => $"last {validation.Options.LeaveOut} per user",
    };

    public static string Describe(AlsOptions o) =>
        $"{o.Factors} f, λ {o.Regularization:G4}, ν {o.RegularizationExponent:G3}, α {o.Alpha:G3} {o.Confidence.ToString().ToLowerInvariant()}, {o.Iterations} it";
}
