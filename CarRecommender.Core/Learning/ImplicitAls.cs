using System.Numerics.Tensors;
using MathNet.Numerics.LinearAlgebra;

namespace CarRecommender.Core.Learning;

/// <summary>How an observed strength r (a rating, or view 1 / save 3 / contact 5 summed) becomes confidence c.</summary>
public enum ConfidenceScale
{
    /// <summary>c = 1 + α·r (Hu et al.'s linear form): a 5-star rating or a contact weighs five times a view.</summary>
    Linear,
    /// <summary>c = 1 + α·ln(1 + r): stronger signals weigh more, with diminishing returns.</summary>
    Log,
    /// <summary>c = 1 + α for every observed pair, whatever its strength (the textbook iALS of Rendle et al. 2022).</summary>
    Binary,
}

/// <summary>Hyper-parameters of implicit ALS.</summary>
/// <param name="Factors">Rank of the user and item factors.</param>
/// <param name="Regularization">L2 weight λ of a row with the average number of interactions (see <paramref name="RegularizationExponent"/>).</param>
/// <param name="Alpha">Confidence slope (see <see cref="ConfidenceScale"/>); the unobserved pairs weigh 1, so 1/(1 + α) is
/// Rendle's relative weight of the unobserved entries.</param>
/// <param name="CgSteps">Conjugate-gradient steps per factor and sweep (warm-started from the previous sweep).</param>
/// <param name="Confidence">How strengths become confidences.</param>
/// <param name="RegularizationExponent">ν of Rendle et al.'s frequency-scaled regularisation: a row with n observed pairs
/// gets λ·((n + N/(1+α)) / (n̄ + N/(1+α)))^ν, N the other side's size, n̄ the mean n; ν = 0 is the classic uniform λ.</param>
public sealed record AlsOptions(int Factors = 64, int Iterations = 15, double Regularization = 0.1, double Alpha = 10, int CgSteps = 3, int Seed = 42,
    ConfidenceScale Confidence = ConfidenceScale.Linear, double RegularizationExponent = 0)
{
    /// <summary>c − 1 for an observed strength r.</summary>
    public float ExtraConfidence(float r) => Confidence switch
    {
        ConfidenceScale.Binary => r > 0 ? (float)Alpha : 0,
        ConfidenceScale.Log => (float)(Alpha * Math.Log(1 + Math.Max(0, r))),
        _ => (float)(Alpha * r),
    };

    /// <summary>λ of a row with <paramref name="observed"/> pairs (frequency-scaled when ν ≠ 0).</summary>
    public double RowRegularization(int observed, double meanObserved, int otherSide)
    {
        if (RegularizationExponent == 0) return Regularization;
        var unobserved = otherSide / (1 + Alpha);
        return Regularization * Math.Pow((observed + unobserved) / (meanObserved + unobserved), RegularizationExponent);
    }
}

/// <summary>Factors of a trained model, row-major: row u of <see cref="UserFactors"/> is user u.</summary>
public sealed class AlsModel(int factors, float[] userFactors, float[] itemFactors)
{
    public int Factors { get; } = factors;
    public float[] UserFactors { get; } = userFactors;
    public float[] ItemFactors { get; } = itemFactors;
    public int Users => UserFactors.Length / Factors;
    public int Items => ItemFactors.Length / Factors;
    public ReadOnlySpan<float> User(int u) => UserFactors.AsSpan(u * Factors, Factors);
    public ReadOnlySpan<float> Item(int i) => ItemFactors.AsSpan(i * Factors, Factors);
}

/// <summary>
/// Implicit-feedback ALS (Hu, Koren, Volinsky 2008) with the conjugate-gradient solver of Takács, Pilászy, Tikk (2011):
/// minimises Σ c_ui (p_ui − x_uᵀy_i)² + λ(‖X‖² + ‖Y‖²) over all user–item pairs, where p = 1 for observed pairs and
/// c = 1 + α·r. The unobserved pairs enter only through the Gram matrix YᵀY, so one sweep costs O(nnz·k + n·k²).
/// Vector arithmetic uses <see cref="TensorPrimitives"/> (SIMD); the exact fold-in solve uses Math.NET's Cholesky.
/// </summary>
public static class ImplicitAls
{
    public static AlsModel Train(SparseMatrix userItems, AlsOptions options, IProgress<(int Iteration, double Loss)>? progress = null,
        CancellationToken ct = default)
    {
        var k = options.Factors;
        var itemUsers = userItems.Transpose();
        var rng = new Random(options.Seed);
        var scale = (float)(0.1 / Math.Sqrt(k));
        var x = new float[userItems.Rows * k];
        var y = new float[userItems.Columns * k];
        for (var i = 0; i < y.Length; i++) y[i] = (float)(rng.NextDouble() * 2 - 1) * scale;
        for (var i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 2 - 1) * scale;

        for (var iteration = 1; iteration <= options.Iterations; iteration++)
        {
            ct.ThrowIfCancellationRequested();
            SolveSide(userItems, x, y, options, ct);
            SolveSide(itemUsers, y, x, options, ct);
            progress?.Report((iteration, Loss(userItems, x, y, options)));
        }
        return new AlsModel(k, x, y);
    }

    /// <summary>YᵀY (k×k, row-major) of the fixed side.</summary>
    public static float[] Gram(float[] factors, int k)
    {
        var n = factors.Length / k;
        var partial = new float[Environment.ProcessorCount][];
        Parallel.For(0, partial.Length, t =>
        {
            var g = new float[k * k];
            for (var r = t; r < n; r += partial.Length)
            {
                var row = factors.AsSpan(r * k, k);
                for (var a = 0; a < k; a++)
                    TensorPrimitives.MultiplyAdd(row, row[a], g.AsSpan(a * k, k), g.AsSpan(a * k, k));
            }
            partial[t] = g;
        });
        var gram = new float[k * k];
        foreach (var g in partial) TensorPrimitives.Add(gram, g, gram);
        return gram;
    }

    /// <summary>One half-sweep: every row's factor re-solved against the fixed side, a few CG steps each, in parallel.</summary>
    private static void SolveSide(SparseMatrix rows, float[] target, float[] fixedSide, AlsOptions o, CancellationToken ct)
    {
        var k = o.Factors;
        var gram = Gram(fixedSide, k);
        var meanObserved = (double)rows.NonZeros / Math.Max(1, rows.Rows);
        var extra = new float[rows.NonZeros];
        for (var j = 0; j < extra.Length; j++) extra[j] = o.ExtraConfidence(rows.Values[j]);
        Parallel.For(0, rows.Rows, new ParallelOptions { CancellationToken = ct },
            () => new float[4 * k],
            (u, _, buffers) =>
            {
                var lambda = (float)o.RowRegularization(rows.RowStart[u + 1] - rows.RowStart[u], meanObserved, rows.Columns);
                var x = target.AsSpan(u * k, k);
                var r = buffers.AsSpan(0, k);
                var p = buffers.AsSpan(k, k);
                var ap = buffers.AsSpan(2 * k, k);
                var start = rows.RowStart[u];
                var end = rows.RowStart[u + 1];
                if (start == end)
                {
                    x.Clear(); // no signal: the regularised optimum is zero
                    return buffers;
                }
                // r = b − A·x, with b = Σ c·y_i (p = 1 on observed pairs)
                MultiplyA(gram, lambda, extra, rows, u, fixedSide, x, ap, k);
                r.Clear();
                for (var j = start; j < end; j++)
                    TensorPrimitives.MultiplyAdd(fixedSide.AsSpan(rows.ColumnIndex[j] * k, k), 1 + extra[j], r, r);
                TensorPrimitives.Subtract(r, ap, r);
                r.CopyTo(p);
                var rsOld = TensorPrimitives.Dot(r, r);
                for (var step = 0; step < o.CgSteps && rsOld > 1e-20f; step++)
                {
                    MultiplyA(gram, lambda, extra, rows, u, fixedSide, p, ap, k);
                    var stepSize = rsOld / TensorPrimitives.Dot(p, ap);
                    TensorPrimitives.MultiplyAdd(p, stepSize, x, x);
                    TensorPrimitives.MultiplyAdd(ap, -stepSize, r, r);
                    var rsNew = TensorPrimitives.Dot(r, r);
                    // p = r + (rsNew / rsOld)·p
                    TensorPrimitives.MultiplyAdd(p, rsNew / rsOld, r, p);
                    rsOld = rsNew;
                }
                return buffers;
            },
            _ => { });
    }

    /// <summary>A·v = (YᵀY + λI)·v + Σ_i (c_ui − 1)(y_i·v)·y_i, without forming A.</summary>
    private static void MultiplyA(float[] gram, float lambda, float[] extra, SparseMatrix rows, int u, float[] fixedSide,
        ReadOnlySpan<float> v, Span<float> result, int k)
    {
        for (var a = 0; a < k; a++) result[a] = TensorPrimitives.Dot(gram.AsSpan(a * k, k), v);
        TensorPrimitives.MultiplyAdd(v, lambda, result, result);
        for (var j = rows.RowStart[u]; j < rows.RowStart[u + 1]; j++)
        {
            var yi = fixedSide.AsSpan(rows.ColumnIndex[j] * k, k);
            TensorPrimitives.MultiplyAdd(yi, extra[j] * TensorPrimitives.Dot(yi, v), result, result);
        }
    }

    /// <summary>
    /// The full objective, unobserved pairs included (through xᵀ(YᵀY)x), divided by the number of user–item pairs so
    /// runs of different sizes compare.
    /// </summary>
    public static double Loss(SparseMatrix userItems, float[] x, float[] y, AlsOptions o)
    {
        var k = o.Factors;
        var gram = Gram(y, k);
        double total = 0;
        var gate = new Lock();
        Parallel.For(0, userItems.Rows, () => (Sum: 0.0, Buffer: new float[k]), (u, _, acc) =>
        {
            var xu = x.AsSpan(u * k, k);
            for (var a = 0; a < k; a++) acc.Buffer[a] = TensorPrimitives.Dot(gram.AsSpan(a * k, k), xu);
            var s = (double)TensorPrimitives.Dot(xu, acc.Buffer); // Σ_i (x·y_i)² as if every pair were unobserved (c = 1, p = 0)
            for (var j = userItems.RowStart[u]; j < userItems.RowStart[u + 1]; j++)
            {
                double c = 1 + o.ExtraConfidence(userItems.Values[j]);
                double pred = TensorPrimitives.Dot(xu, y.AsSpan(userItems.ColumnIndex[j] * k, k));
                // replace the c = 1, p = 0 term by the observed one: c(1 − pred)² − pred²
                s += c * (1 - pred) * (1 - pred) - pred * pred;
            }
            return (acc.Sum + s, acc.Buffer);
        }, acc => { lock (gate) total += acc.Sum; });
        var itemCounts = new int[userItems.Columns];
        foreach (var c in userItems.ColumnIndex) itemCounts[c]++;
        var userCounts = new int[userItems.Rows];
        for (var u = 0; u < userCounts.Length; u++) userCounts[u] = userItems.RowStart[u + 1] - userItems.RowStart[u];
        var reg = RegularizationTerm(userCounts, userItems.Columns, x, o) + RegularizationTerm(itemCounts, userItems.Rows, y, o);
        return (total + reg) / ((double)userItems.Rows * userItems.Columns);
    }

    /// <summary>Σ λ_r‖f_r‖² over one side, <paramref name="counts"/>[r] its rows' observed pairs (no transpose needed).</summary>
    private static double RegularizationTerm(int[] counts, int otherSide, float[] factors, AlsOptions o)
    {
        var k = o.Factors;
        var mean = counts.Length == 0 ? 0 : counts.Average();
        double sum = 0;
        for (var r = 0; r < counts.Length; r++)
        {
            var f = factors.AsSpan(r * k, k);
            sum += o.RowRegularization(counts[r], mean, otherSide) * TensorPrimitives.Dot(f, f);
        }
        return sum;
    }

    /// <summary>
    /// Folds one user into fixed item factors: the exact least-squares solution for that user's interactions
    /// (items and strengths), as a training sweep would compute it. <paramref name="gram"/> is YᵀY of the items.
    /// </summary>
    /// <param name="meanUserPairs">The training data's mean pairs per user (n̄ of the frequency-scaled λ; unused when ν = 0).</param>
    /// <param name="modelItems">N of the frequency-scaled λ's unobserved weight; by default the rows of
    /// <paramref name="itemFactors"/>. The serving fold-in passes the user's own item count (FactorStore): the model's
    /// item count, as training uses, shrank a new shopper's factors so far that content outweighed them in the blend
    /// (RecommendationTests' convertible shopper found 5 of 10 matches instead of 6 or more).</param>
    public static float[] FoldIn(ReadOnlySpan<int> items, ReadOnlySpan<float> strengths, float[] itemFactors, float[] gram, AlsOptions o,
        double meanUserPairs = 0, int? modelItems = null)
    {
        var k = o.Factors;
        var observed = 0;
        foreach (var s in strengths) if (s > 0) observed++;
        var lambda = o.RowRegularization(observed, meanUserPairs, modelItems ?? itemFactors.Length / k);
        var a = Matrix<double>.Build.Dense(k, k, (i, j) => gram[i * k + j] + (i == j ? lambda : 0));
        var b = Vector<double>.Build.Dense(k);
        for (var n = 0; n < items.Length; n++)
        {
            if (strengths[n] <= 0) continue;
            var c = 1 + o.ExtraConfidence(strengths[n]);
            var yi = itemFactors.AsSpan(items[n] * k, k);
            for (var i = 0; i < k; i++)
            {
                b[i] += c * yi[i];
                var ci = (c - 1) * yi[i];
                for (var j = 0; j < k; j++) a[i, j] += ci * yi[j];
            }
        }
        var solution = a.Cholesky().Solve(b);
        return solution.Select(v => (float)v).ToArray();
    }
}
