using System.Numerics.Tensors;
using CarRecommender.Core.Evaluation;
using CarRecommender.Core.Learning;

namespace CarRecommender.Core.Tests;

public class ModelSearchTests
{
    /// <summary>
    /// Four taste groups of 30 users over 4 × 15 items; each user touched 8 of their group's items at increasing times,
    /// so the newest ones (the validation slice) are of the same group. Rank 1 cannot tell four groups apart; rank 8 can.
    /// </summary>
    private static InteractionLog PlantedLog()
    {
        var rng = new Random(5);
        var rows = new List<(string, string, float, long?)>();
        for (var u = 0; u < 120; u++)
        {
            var group = u % 4;
            var t = 1_000_000L;
            foreach (var i in Enumerable.Range(group * 15, 15).OrderBy(_ => rng.Next()).Take(8))
                rows.Add(($"u{u}", $"i{i}", 1, t += 60));
        }
        return InteractionLog.Aggregate(rows);
    }

    private static readonly AlsOptions Good = ModelSearch.Default with { Factors = 8, Regularization = 1, Iterations = 10 };
    private static readonly AlsOptions Bad = Good with { Factors = 1 };

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void The_self_tuning_picks_the_better_of_two_settings_whichever_comes_first(bool goodFirst)
    {
        var log = PlantedLog();
        var outcome = ModelSearch.RunAls(log, new ModelSearchSettings { K = 5 }, null, goodFirst ? [Good, Bad] : [Bad, Good]);
        Assert.Equal(8, outcome.Als.Factors);
        Assert.Equal(2, outcome.Trials.Count);
        var good = outcome.Trials.Single(t => t.Setting.StartsWith("8 f", StringComparison.Ordinal));
        var bad = outcome.Trials.Single(t => t.Setting.StartsWith("1 f", StringComparison.Ordinal));
        Assert.True(good.Validation.Ndcg > bad.Validation.Ndcg, $"{good.Validation.Ndcg} vs {bad.Validation.Ndcg}");
        Assert.Equal(good.Validation.Ndcg, outcome.AlsValidation.Ndcg);
        Assert.Equal("newest 20 % per user", outcome.ValidationProtocol.Replace("\u00a0", " ", StringComparison.Ordinal));
    }

    [Fact]
    public void The_validation_slice_holds_out_each_users_newest_interactions()
    {
        var log = PlantedLog();
        var split = DataSplit.NewestPerUser(log, log.Entries, 0.25, 1);
        foreach (var user in split.TestUsers)
        {
            var newestTrain = split.Train.Where(e => e.User == user).Max(e => e.Timestamp);
            var oldestTest = split.Test.Where(e => e.User == user).Min(e => e.Timestamp);
            Assert.True(oldestTest > newestTrain);
            Assert.Equal(2, split.Test.Count(e => e.User == user)); // round(0.25 × 8)
        }
    }

    [Fact]
    public void The_search_stops_starting_trials_when_its_time_is_up_but_always_runs_one()
    {
        var outcome = ModelSearch.RunAls(PlantedLog(), new ModelSearchSettings { MaxSeconds = 0 }, null, [Good, Bad]);
        Assert.Single(outcome.Trials);
    }
}

public class FrequencyScaledRegularisationTests
{
    [Fact]
    public void Uniform_lambda_when_the_exponent_is_zero_and_scaled_by_activity_otherwise()
    {
        var uniform = new AlsOptions(Regularization: 10, Alpha: 1, RegularizationExponent: 0);
        Assert.Equal(10, uniform.RowRegularization(1, 5, 20));
        Assert.Equal(10, uniform.RowRegularization(50, 5, 20));

        var scaled = uniform with { RegularizationExponent = 1 };
        // the average row keeps λ; with N = 20 and α = 1 the unobserved mass is 10: (n + 10) / (5 + 10)
        Assert.Equal(10, scaled.RowRegularization(5, 5, 20), 10);
        Assert.Equal(10 * 11.0 / 15, scaled.RowRegularization(1, 5, 20), 10);
        Assert.Equal(10 * 60.0 / 15, scaled.RowRegularization(50, 5, 20), 10);
    }

    [Fact]
    public void Scaling_shrinks_a_heavy_users_factors_relative_to_a_light_users()
    {
        // user 0 touched all 12 items, users 1–6 two each: with ν = 1 the heavy row is penalised harder
        var triples = new List<(int, int, float)>();
        for (var i = 0; i < 12; i++) triples.Add((0, i, 1));
        for (var u = 1; u <= 6; u++)
        {
            triples.Add((u, 2 * (u - 1), 1));
            triples.Add((u, 2 * (u - 1) + 1, 1));
        }
        var matrix = SparseMatrix.FromTriples(7, 12, triples);
        double Ratio(double nu)
        {
            var model = ImplicitAls.Train(matrix, new AlsOptions(Factors: 4, Iterations: 10, Regularization: 1, Alpha: 5,
                Confidence: ConfidenceScale.Binary, RegularizationExponent: nu, CgSteps: 8));
            var heavy = TensorPrimitives.Norm(model.User(0));
            var light = Enumerable.Range(1, 6).Average(u => TensorPrimitives.Norm(model.User(u)));
            return heavy / light;
        }
        Assert.True(Ratio(1) < Ratio(0) * 0.95, $"ν=1: {Ratio(1)}, ν=0: {Ratio(0)}");
    }

    [Fact]
    public void Binary_confidence_ignores_the_strength_and_log_grows_slower_than_linear()
    {
        var binary = new AlsOptions(Alpha: 2, Confidence: ConfidenceScale.Binary);
        Assert.Equal(binary.ExtraConfidence(1), binary.ExtraConfidence(5));
        var log = binary with { Confidence = ConfidenceScale.Log };
        var linear = binary with { Confidence = ConfidenceScale.Linear };
        Assert.True(log.ExtraConfidence(5) / log.ExtraConfidence(1) < linear.ExtraConfidence(5) / linear.ExtraConfidence(1));
        Assert.Equal(0, binary.ExtraConfidence(0));
    }
}
