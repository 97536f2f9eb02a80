using CarRecommender.Core.Learning;

namespace CarRecommender.Core.Tests;

public class EaseTests
{
    /// <summary>Four users on a ring of four items: user u has items u and u+1 (mod 4).</summary>
    private static SparseMatrix Ring() => SparseMatrix.FromTriples(4, 4, [(0, 0, 1), (0, 1, 1), (1, 1, 1), (1, 2, 1), (2, 2, 1), (2, 3, 1), (3, 3, 1), (3, 0, 5)]);

    [Fact]
    public void Weights_match_the_hand_computed_closed_form_on_a_4x4_case()
    {
        // XᵀX + 2I is the circulant [4 1 0 1]; its inverse is circulant with 7/24, −1/12, 1/24, −1/12 (eigenvalues 6, 4, 2, 4),
        // so B_ij = −P_ij / P_jj: neighbours on the ring 2/7, the opposite item −1/7, the diagonal 0
        var model = Ease.Train(Ring(), new EaseOptions(Lambda: 2, MinSupport: 1));
        Assert.Equal(4, model.Size);
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(0f, model.Weight(i, i));
            Assert.Equal(2.0 / 7, model.Weight(i, (i + 1) % 4), 5);
            Assert.Equal(2.0 / 7, model.Weight(i, (i + 3) % 4), 5);
            Assert.Equal(-1.0 / 7, model.Weight(i, (i + 2) % 4), 5);
        }
    }

    [Fact]
    public void A_user_scores_the_items_that_co_occur_with_theirs_above_the_others()
    {
        var model = Ease.Train(Ring(), new EaseOptions(Lambda: 2, MinSupport: 1));
        var scores = new float[4];
        Ease.Score(model, [0], scores, new float[4]);
        Assert.True(scores[1] > scores[2] && scores[3] > scores[2], string.Join(", ", scores));
    }

    [Fact]
    public void Items_below_the_minimum_support_are_left_out_and_never_scored()
    {
        var matrix = SparseMatrix.FromTriples(3, 3, [(0, 0, 1), (0, 1, 1), (1, 0, 1), (1, 1, 1), (2, 2, 1)]);
        var model = Ease.Train(matrix, new EaseOptions(Lambda: 1, MinSupport: 2));
        Assert.Equal([0, 1], model.Items);
        var scores = new float[3];
        Ease.Score(model, [0], scores, new float[model.Size]);
        Assert.True(float.IsNegativeInfinity(scores[2]));
        Assert.True(scores[1] > 0);
    }

    [Fact]
    public void The_native_and_the_managed_inverse_agree()
    {
        var n = 5;
        var a = new double[n * n];
        var rng = new Random(3);
        for (var i = 0; i < n; i++)
            for (var j = 0; j <= i; j++)
                a[i * n + j] = a[j * n + i] = i == j ? 10 + rng.NextDouble() : rng.NextDouble();
        var original = (double[])a.Clone();
        SymmetricInverse.Invert(a, n);
        // A · A⁻¹ = I
        for (var i = 0; i < n; i++)
            for (var j = 0; j < n; j++)
            {
                double sum = 0;
                for (var m = 0; m < n; m++) sum += original[i * n + m] * a[m * n + j];
                Assert.Equal(i == j ? 1 : 0, sum, 9);
            }
    }

    [Fact]
    public void A_matrix_that_is_not_positive_definite_is_refused()
    {
        var a = new double[] { 1, 2, 2, 1 };
        Assert.Throws<ArgumentException>(() => SymmetricInverse.Invert(a, 2));
    }
}
