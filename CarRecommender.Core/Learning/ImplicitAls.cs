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
/// The dense loops are <see cref="FactorKernels"/> (SIMD); the exact fold-in solve uses Math.NET's Cholesky.
/// </summary>
public static class ImplicitAls
{
    public static AlsModel Train(SparseMatrix userItems, AlsOptions options, IProgress<(int Iteration, double Loss)>? progress = null,
        CancellationToken ct = default)
    {
        var k = options.Factors;
        var users = new AlsSide(userItems, options);
        var items = new AlsSide(userItems.Transpose(), options);
        var (x, y) = InitialFactors(userItems.Rows, userItems.Columns, options);

        for (var iteration = 1; iteration <= options.Iterations; iteration++)
        {
            ct.ThrowIfCancellationRequested();
            SolveSide(users, x, y, options, ct);
            SolveSide(items, y, x, options, ct);
            progress?.Report((iteration, Loss(users, items.Lambda, x, y, k)));
        }
        return new AlsModel(k, x, y);
    }

    /// <summary>Where training starts: small uniform factors, ±0.1/√k, from <see cref="AlsOptions.Seed"/> (items drawn first).</summary>
    public static (float[] UserFactors, float[] ItemFactors) InitialFactors(int users, int items, AlsOptions options)
    {
        var k = options.Factors;
        var rng = new Random(options.Seed);
        var scale = (float)(0.1 / Math.Sqrt(k));
        var x = new float[users * k];
        var y = new float[items * k];
        for (var i = 0; i < y.Length; i++) y[i] = (float)(rng.NextDouble() * 2 - 1) * scale;
        for (var i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 2 - 1) * scale;
        return (x, y);
    }

    /// <summary>YᵀY (k×k, row-major) of the fixed side.</summary>
    public static float[] Gram(float[] factors, int k)
    {
        var n = factors.Length / k;
        // one contiguous range per core, summed in a fixed order: the same factors give the same Gram bit for bit
        var partial = new float[Environment.ProcessorCount][];
        Parallel.For(0, partial.Length, t =>
        {
            var g = new float[k * k];
            const int block = 128; // rows re-read once per Gram row, so a block stays in L1/L2
            var end = (int)((long)n * (t + 1) / partial.Length);
            for (var first = (int)((long)n * t / partial.Length); first < end; first += block)
            {
                var count = Math.Min(block, end - first);
                var rows = factors.AsSpan(first * k, count * k);
                for (var a = 0; a < k; a++)
                    FactorKernels.AddRows(g.AsSpan(a * k, k), rows, FactorKernels.Sequence(count), rows[a..], k, k);
            }
            partial[t] = g;
        });
        var gram = new float[k * k];
        foreach (var g in partial) TensorPrimitives.Add(gram, g, gram);
        return gram;
    }

    /// <summary>Rows solved together, so that their Gram products share one pass over YᵀY.</summary>
    private const int Lockstep = 2;

    /// <summary>Factors a core's L2 cache holds with room to spare (256 KB).</summary>
    private const int CachedFloats = 1 << 16;

    /// <summary>Pairs whose fixed-side rows sit in L1 together (8 KB at k = 64), the unit a long row is multiplied in.</summary>
    private const int Tile = 32;

    /// <summary>One half-sweep: every row's factor re-solved against the fixed side, a few CG steps each, in parallel.</summary>
    private static void SolveSide(AlsSide side, float[] target, float[] fixedSide, AlsOptions o, CancellationToken ct)
    {
        var k = o.Factors;
        var gram = Gram(fixedSide, k);
        Parallel.For(0, side.Chunks, new ParallelOptions { CancellationToken = ct },
            () => new float[3 * Lockstep * k + Tile],
            (chunk, _, buffers) =>
            {
                var end = side.ChunkStart[chunk + 1];
                for (var u = side.ChunkStart[chunk]; u < end; u += Lockstep)
                    SolveRows(side, u, Math.Min(Lockstep, end - u), gram, target, fixedSide, o, buffers);
                return buffers;
            },
            _ => { });
    }

    /// <summary>
    /// A few CG steps on (YᵀY + λI + Σ_i (c_ui − 1)·y_iy_iᵀ)·x = Σ_i c_ui·y_i for <paramref name="count"/> consecutive
    /// rows, each warm-started from its x. The rows step in lockstep only so that the Gram part of their A·p is one
    /// product (<see cref="FactorKernels.AddGramProducts"/>); each row stops as a lone solve would, when its residual
    /// vanishes or after CgSteps steps.
    /// </summary>
    private static void SolveRows(AlsSide side, int first, int count, float[] gram, float[] target, float[] fixedSide, AlsOptions o,
        float[] buffers)
    {
        var k = o.Factors;
        var x = target.AsSpan(first * k, count * k);
        var r = buffers.AsSpan(0, count * k);
        var p = buffers.AsSpan(Lockstep * k, count * k);
        var ap = buffers.AsSpan(2 * Lockstep * k, count * k);
        var weights = buffers.AsSpan(3 * Lockstep * k);
        Span<float> rsOld = stackalloc float[Lockstep];
        for (var g = 0; g < count; g++)
        {
            // no signal: the regularised optimum is zero, and a zero start leaves no residual to step on
            if (side.Columns(first + g).IsEmpty) x.Slice(g * k, k).Clear();
            MultiplySparse(side, first + g, x.Slice(g * k, k), ap.Slice(g * k, k), fixedSide, weights, subtractB: true);
        }
        FactorKernels.AddGramProducts(ap, gram, x, count, k);
        for (var g = 0; g < count; g++)
        {
            var rg = r.Slice(g * k, k);
            TensorPrimitives.Negate(ap.Slice(g * k, k), rg);
            rg.CopyTo(p.Slice(g * k, k));
            rsOld[g] = TensorPrimitives.Dot(rg, rg);
        }
        for (var step = 0; step < o.CgSteps; step++)
        {
            var stepping = false;
            for (var g = 0; g < count; g++)
            {
                if (!(rsOld[g] > 1e-20f)) continue;
                stepping = true;
                MultiplySparse(side, first + g, p.Slice(g * k, k), ap.Slice(g * k, k), fixedSide, weights, subtractB: false);
            }
            if (!stepping) break;
            // a finished row's product is computed with its partner's and left unused
            FactorKernels.AddGramProducts(ap, gram, p, count, k);
            for (var g = 0; g < count; g++)
            {
                if (rsOld[g] > 1e-20f)
                    rsOld[g] = Step(x.Slice(g * k, k), r.Slice(g * k, k), p.Slice(g * k, k), ap.Slice(g * k, k), rsOld[g]);
            }
        }
    }

    /// <summary>
    /// λ·v + Σ_i w_i·y_i over row u's pairs, w_i = (c_ui − 1)(y_i·v): A·v but for its Gram part. With
    /// <paramref name="subtractB"/>, w_i − c_ui instead, which makes it A·v − b, b = Σ_i c_ui·y_i, in the same one pass.
    /// </summary>
    private static void MultiplySparse(AlsSide side, int u, ReadOnlySpan<float> v, Span<float> result, float[] fixedSide, Span<float> weights,
        bool subtractB)
    {
        var k = v.Length;
        var columns = side.Columns(u);
        var extra = side.ExtraOf(u);
        // the first pass brings the pairs' rows into cache; later ones find them there unless there are too many to stay
        var prefetch = subtractB || columns.Length * k > CachedFloats;
        TensorPrimitives.Multiply(v, side.Lambda[u], result);
        // a tile's rows are still in L1 from its dot products when they are added: a popular item's users are read once
        for (var first = 0; first < columns.Length; first += Tile)
        {
            var tile = columns.Slice(first, Math.Min(Tile, columns.Length - first));
            var w = weights[..tile.Length];
            var e = extra.Slice(first, tile.Length);
            FactorKernels.Dots(w, fixedSide, tile, v, k, prefetch);
            if (subtractB)
                for (var j = 0; j < w.Length; j++) w[j] = e[j] * (w[j] - 1) - 1;
            else
                TensorPrimitives.Multiply(w, e, w);
            FactorKernels.AddRows(result, fixedSide, tile, w, 1, k);
        }
    }

    /// <summary>One CG step once A·p is known: x += α·p, r −= α·A·p, p = r + β·p. Returns the new r·r.</summary>
    private static float Step(Span<float> x, Span<float> r, Span<float> p, ReadOnlySpan<float> ap, float rsOld)
    {
        var stepSize = rsOld / TensorPrimitives.Dot(p, ap);
        TensorPrimitives.MultiplyAdd(p, stepSize, x, x);
        TensorPrimitives.MultiplyAdd(ap, -stepSize, r, r);
        var rsNew = TensorPrimitives.Dot(r, r);
        TensorPrimitives.MultiplyAdd(p, rsNew / rsOld, r, p);
        return rsNew;
    }

    /// <summary>
    /// The full objective, unobserved pairs included (through xᵀ(YᵀY)x), divided by the number of user–item pairs so
    /// runs of different sizes compare.
    /// </summary>
    public static double Loss(SparseMatrix userItems, float[] x, float[] y, AlsOptions o)
    {
        var itemCounts = new int[userItems.Columns];
        foreach (var c in userItems.ColumnIndex) itemCounts[c]++;
        return Loss(new AlsSide(userItems, o), AlsSide.RowLambdas(itemCounts, userItems.Rows, o), x, y, o.Factors);
    }

    private static double Loss(AlsSide users, float[] itemLambda, float[] x, float[] y, int k)
    {
        var gram = Gram(y, k);
        // one sum per chunk, added in order: the same factors give the same loss
        var perChunk = new double[users.Chunks];
        Parallel.For(0, users.Chunks, chunk =>
        {
            var gx = new float[k];
            var predictions = new float[users.LongestRow];
            double sum = 0;
            for (var u = users.ChunkStart[chunk]; u < users.ChunkStart[chunk + 1]; u++)
            {
                var xu = x.AsSpan(u * k, k);
                gx.AsSpan().Clear();
                FactorKernels.AddRows(gx, gram, FactorKernels.Sequence(k), xu, 1, k);
                sum += TensorPrimitives.Dot(xu, gx); // Σ_i (x·y_i)² as if every pair were unobserved (c = 1, p = 0)
                var columns = users.Columns(u);
                var extra = users.ExtraOf(u);
                FactorKernels.Dots(predictions, y, columns, xu, k);
                for (var j = 0; j < columns.Length; j++)
                {
                    double c = 1 + extra[j];
                    double pred = predictions[j];
                    // replace the c = 1, p = 0 term by the observed one: c(1 − pred)² − pred²
                    sum += c * (1 - pred) * (1 - pred) - pred * pred;
                }
            }
            perChunk[chunk] = sum;
        });
        var reg = RegularizationTerm(users.Lambda, x, k) + RegularizationTerm(itemLambda, y, k);
        return (perChunk.Sum() + reg) / ((double)users.Matrix.Rows * users.Matrix.Columns);
    }

    /// <summary>Σ λ_r‖f_r‖² over one side.</summary>
    private static double RegularizationTerm(float[] lambda, float[] factors, int k)
    {
        double sum = 0;
        for (var r = 0; r < lambda.Length; r++)
        {
            var f = factors.AsSpan(r * k, k);
            sum += lambda[r] * TensorPrimitives.Dot(f, f);
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
