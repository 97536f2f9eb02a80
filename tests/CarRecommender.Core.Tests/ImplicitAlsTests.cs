using System.Numerics.Tensors;
using CarRecommender.Core.Data;
using CarRecommender.Core.Domain;
using CarRecommender.Core.Learning;

namespace CarRecommender.Core.Tests;

public class ImplicitAlsTests
{
    /// <summary>Two taste groups: users 0–19 like items 0–9, users 20–39 like items 10–19 (each user 6 random ones).</summary>
    private static SparseMatrix TwoGroups(int seed = 1)
    {
        var rng = new Random(seed);
        var triples = new List<(int, int, float)>();
        for (var u = 0; u < 40; u++)
        {
            var offset = u < 20 ? 0 : 10;
            foreach (var i in Enumerable.Range(offset, 10).OrderBy(_ => rng.Next()).Take(6))
                triples.Add((u, i, 1 + rng.Next(3)));
        }
        return SparseMatrix.FromTriples(40, 20, triples);
    }

    [Fact]
    public void Loss_decreases_over_iterations()
    {
        var losses = new List<double>();
        ImplicitAls.Train(TwoGroups(), new AlsOptions(Factors: 8, Iterations: 8), new SyncProgress<(int Iteration, double Loss)>(p => losses.Add(p.Loss)));
        Assert.Equal(8, losses.Count);
        Assert.True(losses[^1] < losses[0], $"{losses[0]} → {losses[^1]}");
        for (var i = 1; i < losses.Count; i++) Assert.True(losses[i] <= losses[i - 1] * 1.001, $"iteration {i + 1} went up: {losses[i - 1]} → {losses[i]}");
    }

    [Fact]
    public void Users_score_unseen_items_of_their_own_group_above_the_other_group()
    {
        var data = TwoGroups();
        var model = ImplicitAls.Train(data, new AlsOptions(Factors: 8, Iterations: 10));
        for (var u = 0; u < 40; u++)
        {
            var seen = data.ColumnIndex[data.RowStart[u]..data.RowStart[u + 1]].ToHashSet();
            var own = Enumerable.Range(u < 20 ? 0 : 10, 10).Where(i => !seen.Contains(i));
            var other = Enumerable.Range(u < 20 ? 10 : 0, 10);
            var ownBest = own.Max(i => TensorPrimitives.Dot(model.User(u), model.Item(i)));
            var otherBest = other.Max(i => TensorPrimitives.Dot(model.User(u), model.Item(i)));
            Assert.True(ownBest > otherBest, $"user {u}: own {ownBest:F3} vs other {otherBest:F3}");
        }
    }

    [Fact]
    public void Folding_a_user_in_gives_the_trained_factor()
    {
        var data = TwoGroups();
        // enough CG steps that the training solve is exact, as the fold-in's Cholesky solve is
        var options = new AlsOptions(Factors: 6, Iterations: 12, CgSteps: 6);
        var model = ImplicitAls.Train(data, options);
        var gram = ImplicitAls.Gram(model.ItemFactors, options.Factors);
        for (var u = 0; u < 40; u += 7)
        {
            var items = data.ColumnIndex[data.RowStart[u]..data.RowStart[u + 1]];
            var strengths = data.Values[data.RowStart[u]..data.RowStart[u + 1]];
            var folded = ImplicitAls.FoldIn(items, strengths, model.ItemFactors, gram, options);
            // the user factor was solved against the item factors of the previous half-sweep: close, not bit-equal
            var trained = model.User(u);
            var relative = TensorPrimitives.Distance(folded, trained) / TensorPrimitives.Norm(trained);
            Assert.True(relative < 0.05, $"user {u}: relative difference {relative:F4}");
        }
    }

    [Theory]
    [InlineData(6, ConfidenceScale.Linear, 0)] // narrower than a SIMD block: the scalar columns alone
    [InlineData(40, ConfidenceScale.Log, 1)] // a SIMD block and scalar columns, λ per row
    [InlineData(64, ConfidenceScale.Binary, 0)]
    public void Training_matches_a_textbook_conjugate_gradient_solve_in_doubles(int factors, ConfidenceScale confidence, double nu)
    {
        var rng = new Random(3);
        var triples = new List<(int, int, float)>();
        for (var n = 0; n < 400; n++) triples.Add((1 + rng.Next(59), rng.Next(29), 1 + rng.Next(5))); // user 0 and item 29 stay empty
        var data = SparseMatrix.FromTriples(60, 30, triples);
        var options = new AlsOptions(Factors: factors, Iterations: 5, Regularization: 2, Alpha: 4, Confidence: confidence,
            RegularizationExponent: nu);

        var model = ImplicitAls.Train(data, options);
        var (x, y) = TextbookAls.Train(data, options);

        foreach (var (fast, exact) in new[] { (model.UserFactors, x), (model.ItemFactors, y) })
        {
            var largest = exact.Max(Math.Abs);
            var worst = fast.Zip(exact, (a, b) => Math.Abs(a - b)).Max();
            Assert.True(worst < 1e-3 * largest, $"worst difference {worst:G3} against largest factor {largest:G3}");
        }
        Assert.All(model.User(0).ToArray(), v => Assert.Equal(0, v));
    }

    [Fact]
    public void Implicit_feedback_strengths_follow_the_documented_rule()
    {
        Assert.Equal(1, ImplicitFeedback.Strength([InteractionType.View]));
        Assert.Equal(9, ImplicitFeedback.Strength([InteractionType.View, InteractionType.Save, InteractionType.Contact]));
        Assert.Equal(1, ImplicitFeedback.Strength([InteractionType.View, InteractionType.Save, InteractionType.Unsave]));
        Assert.Equal(0, ImplicitFeedback.Strength([InteractionType.Save, InteractionType.Dismiss]));
        Assert.Equal(0, ImplicitFeedback.Strength([InteractionType.Unsave]));
    }

    [Fact]
    public void Sparse_matrices_sum_duplicates_drop_non_positive_cells_and_transpose()
    {
        var m = SparseMatrix.FromTriples(2, 3, [(0, 2, 1), (0, 2, 2), (1, 0, 1), (1, 1, -1)]);
        Assert.Equal(2, m.NonZeros);
        Assert.Equal(3f, m.Values[0]);
        var t = m.Transpose();
        Assert.Equal(3, t.Rows);
        Assert.Equal([1], t.ColumnIndex[t.RowStart[0]..t.RowStart[1]]);
        Assert.Equal([0], t.ColumnIndex[t.RowStart[2]..t.RowStart[3]]);
    }
}
