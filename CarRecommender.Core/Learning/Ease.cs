using System.Numerics.Tensors;

namespace CarRecommender.Core.Learning;

/// <summary>Hyper-parameters of EASE.</summary>
/// <param name="Lambda">L2 weight λ on the item-to-item weights (Steck uses a few hundred on MovieLens).</param>
/// <param name="MinSupport">Items with fewer training users than this are left out of the model (they get no score).</param>
/// <param name="MaxItems">At most this many items, the most frequent: the inverse costs O(n³) time and 8·n² bytes.</param>
public sealed record EaseOptions(double Lambda = 200, int MinSupport = 2, int MaxItems = 12_000);

/// <summary>
/// A trained EASE model: the dense item-to-item weights B over <see cref="Items"/> (model index → column of the
/// training matrix), row i holding how much interacting with item i speaks for every other item.
/// </summary>
public sealed class EaseModel
{
    public EaseModel(int[] items, float[] weights, int columns)
    {
        Items = items;
        Weights = weights;
        ColumnIndex = new int[columns];
        Array.Fill(ColumnIndex, -1);
        for (var m = 0; m < items.Length; m++) ColumnIndex[items[m]] = m;
    }

    /// <summary>Training-matrix column of each model index.</summary>
    public int[] Items { get; }
    /// <summary>Row-major B (n × n, zero diagonal).</summary>
    public float[] Weights { get; }
    /// <summary>Model index of each training-matrix column, −1 for columns outside the model.</summary>
    public int[] ColumnIndex { get; }
    public int Size => Items.Length;
    public ReadOnlySpan<float> Row(int i) => Weights.AsSpan(i * Size, Size);
    public float Weight(int from, int to) => Weights[(long)from * Size + to];
}

/// <summary>
/// EASE (Steck, "Embarrassingly Shallow Autoencoders for Sparse Data", WWW 2019): the item-to-item linear model
/// B = argmin ‖X − XB‖² + λ‖B‖² subject to diag(B) = 0, in closed form: with P = (XᵀX + λI)⁻¹, B_ij = −P_ij / P_jj
/// (i ≠ j). X is the binary user × item matrix. A user's score for item j is Σ_{i ∈ user} B_ij.
/// </summary>
public static class Ease
{
    public static EaseModel Train(SparseMatrix userItems, EaseOptions options, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(options.Lambda);
        var support = new int[userItems.Columns];
        foreach (var c in userItems.ColumnIndex) support[c]++;
        var items = Enumerable.Range(0, userItems.Columns).Where(i => support[i] >= options.MinSupport)
            .OrderByDescending(i => support[i]).ThenBy(i => i).Take(options.MaxItems).Order().ToArray();
        var n = items.Length;
        var model = new EaseModel(items, new float[(long)n * n], userItems.Columns);

        var p = Gram(userItems, model.ColumnIndex, n, ct);
        for (var i = 0; i < n; i++) p[(long)i * n + i] += options.Lambda;
        ct.ThrowIfCancellationRequested();
        SymmetricInverse.Invert(p, n);
        ct.ThrowIfCancellationRequested();

        var b = model.Weights;
        Parallel.For(0, n, new ParallelOptions { CancellationToken = ct }, i =>
        {
            for (var j = 0; j < n; j++)
                b[(long)i * n + j] = i == j ? 0 : (float)(-p[(long)i * n + j] / p[(long)j * n + j]);
        });
        return model;
    }

    /// <summary>XᵀX of the binary matrix over the chosen items (dense, row-major), from each user's co-occurrences.</summary>
    private static double[] Gram(SparseMatrix userItems, int[] index, int n, CancellationToken ct)
    {
        var g = new double[(long)n * n];
        var rows = new List<int>();
        for (var u = 0; u < userItems.Rows; u++)
        {
            if (u % 1024 == 0) ct.ThrowIfCancellationRequested();
            rows.Clear();
            for (var j = userItems.RowStart[u]; j < userItems.RowStart[u + 1]; j++)
                if (index[userItems.ColumnIndex[j]] is var m and >= 0) rows.Add(m);
            foreach (var a in rows)
            {
                var row = (long)a * n;
                foreach (var b in rows) g[row + b] += 1;
            }
        }
        return g;
    }

    /// <summary>
    /// Scores every training column for a user with the given training columns: <paramref name="scores"/> (one per
    /// column) gets Σ_i B_ij for the model's items and −∞ for columns outside the model. <paramref name="buffer"/> holds
    /// at least <see cref="EaseModel.Size"/> floats.
    /// </summary>
    public static void Score(EaseModel model, ReadOnlySpan<int> userColumns, Span<float> scores, Span<float> buffer)
    {
        var sum = buffer[..model.Size];
        sum.Clear();
        foreach (var c in userColumns)
            if (model.ColumnIndex[c] is var m and >= 0)
                TensorPrimitives.Add(sum, model.Row(m), sum);
        scores.Fill(float.NegativeInfinity);
        for (var m = 0; m < model.Size; m++) scores[model.Items[m]] = sum[m];
    }
}
