using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace CarRecommender.Core.Learning;

/// <summary>
/// The dense inner loops of implicit ALS over row-major factor rows of width k: sums of scaled rows
/// (<see cref="AddRows"/>, <see cref="AddGramProducts"/>) and dot products with rows (<see cref="Dots"/>). Each keeps
/// four SIMD vectors of columns in registers while the rows stream past, so the output is read and written once per
/// list rather than once per row; at k = 64 one TensorPrimitives call per row and per Gram row spent more time in call
/// overhead and horizontal sums than in arithmetic. Columns past the last multiple of four vectors (a rank that is not
/// a multiple of 32 on AVX2) take a scalar loop.
/// </summary>
internal static class FactorKernels
{
    /// <summary>How many rows ahead of use a scattered row is prefetched.</summary>
    private const int Ahead = 12;
    private static int[] sequence = [];

    /// <summary>0, 1, …, n − 1: the row list of a contiguous block (the rows of a Gram matrix, a slice of factors).</summary>
    public static ReadOnlySpan<int> Sequence(int n)
    {
        var s = sequence;
        // a race only replaces the array by an equal, longer one
        if (s.Length < n) sequence = s = Enumerable.Range(0, Math.Max(n, 2 * s.Length)).ToArray();
        return s.AsSpan(0, n);
    }

    /// <summary>result[c] += Σ_r coefficients[r·stride]·matrix[rows[r]·k + c] for c &lt; k.</summary>
    /// <remarks>Two rows per step into two sets of accumulators: eight independent multiply-adds keep the FMA units
    /// busy, where one set waits on each add's latency.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AddRows(Span<float> result, ReadOnlySpan<float> matrix, ReadOnlySpan<int> rows, ReadOnlySpan<float> coefficients,
        int stride, int k)
    {
        if (rows.IsEmpty) return;
        ArgumentOutOfRangeException.ThrowIfLessThan(coefficients.Length, (rows.Length - 1) * stride + 1, nameof(coefficients));
        result = result[..k];
        var w = Vector<float>.Count;
        var c = 0;
        for (; c + 4 * w <= k; c += 4 * w)
        {
            var sum = Vectors4.Load(result.Slice(c, 4 * w));
            var odd = default(Vectors4);
            var r = 0;
            for (; r + 1 < rows.Length; r += 2)
            {
                sum = sum.MultiplyAdd(matrix.Slice(rows[r] * k + c, 4 * w), coefficients[r * stride]);
                odd = odd.MultiplyAdd(matrix.Slice(rows[r + 1] * k + c, 4 * w), coefficients[(r + 1) * stride]);
            }
            if (r < rows.Length) sum = sum.MultiplyAdd(matrix.Slice(rows[r] * k + c, 4 * w), coefficients[r * stride]);
            sum.Add(odd).Store(result.Slice(c, 4 * w));
        }
        for (; c < k; c++)
        {
            var sum = result[c];
            for (var r = 0; r < rows.Length; r++) sum += coefficients[r * stride] * matrix[rows[r] * k + c];
            result[c] = sum;
        }
    }

    /// <summary>results[g] += gram·vectors[g] for each of <paramref name="count"/> vectors of width k, gram symmetric k×k.</summary>
    /// <remarks>Two vectors per pass over gram, as Σ_a v_a·(row a): each row of gram is loaded once for both, and the
    /// rows need no index, so the loop is bound by the multiply-adds rather than by the loads around them.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AddGramProducts(Span<float> results, ReadOnlySpan<float> gram, ReadOnlySpan<float> vectors, int count, int k)
    {
        var w = Vector<float>.Count;
        var g = 0;
        for (; g + 1 < count; g += 2)
        {
            var v0 = vectors.Slice(g * k, k);
            var v1 = vectors.Slice((g + 1) * k, k);
            var out0 = results.Slice(g * k, k);
            var out1 = results.Slice((g + 1) * k, k);
            var c = 0;
            for (; c + 4 * w <= k; c += 4 * w)
            {
                var sum0 = Vectors4.Load(out0.Slice(c, 4 * w));
                var sum1 = Vectors4.Load(out1.Slice(c, 4 * w));
                for (var a = 0; a < k; a++)
                {
                    var row = Vectors4.Load(gram.Slice(a * k + c, 4 * w));
                    sum0 = sum0.MultiplyAdd(row, v0[a]);
                    sum1 = sum1.MultiplyAdd(row, v1[a]);
                }
                sum0.Store(out0.Slice(c, 4 * w));
                sum1.Store(out1.Slice(c, 4 * w));
            }
            for (; c < k; c++)
            {
                for (var a = 0; a < k; a++)
                {
                    out0[c] += v0[a] * gram[a * k + c];
                    out1[c] += v1[a] * gram[a * k + c];
                }
            }
        }
        if (g < count) AddRows(results.Slice(g * k, k), gram, Sequence(k), vectors.Slice(g * k, k), 1, k);
    }

    /// <summary>dots[r] = matrix row rows[r] · v, each row of width k.</summary>
    /// <remarks>Two rows per step share the loads of v and give the adds two independent chains. With
    /// <paramref name="prefetch"/> the rows a few steps ahead are requested early: the fixed side's rows lie scattered
    /// over more memory than the caches hold, but a row's later passes find them in cache and need not ask.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Dots(Span<float> dots, ReadOnlySpan<float> matrix, ReadOnlySpan<int> rows, ReadOnlySpan<float> v, int k,
        bool prefetch = true)
    {
        v = v[..k];
        dots = dots[..rows.Length];
        var w = Vector<float>.Count;
        for (var r = 0; prefetch && r < Math.Min(Ahead, rows.Length); r++) Prefetch(matrix.Slice(rows[r] * k, k));
        for (var r = 0; r < rows.Length; r += 2)
        {
            var second = Math.Min(r + 1, rows.Length - 1); // an odd last row is done twice rather than by a second loop
            if (prefetch && second + Ahead < rows.Length)
            {
                Prefetch(matrix.Slice(rows[r + Ahead] * k, k));
                Prefetch(matrix.Slice(rows[second + Ahead] * k, k));
            }
            var row0 = matrix.Slice(rows[r] * k, k);
            var row1 = matrix.Slice(rows[second] * k, k);
            Vectors4 products0 = default, products1 = default;
            var c = 0;
            for (; c + 4 * w <= k; c += 4 * w)
            {
                var vs = Vectors4.Load(v.Slice(c, 4 * w));
                products0 = products0.MultiplyAdd(Vectors4.Load(row0.Slice(c, 4 * w)), vs);
                products1 = products1.MultiplyAdd(Vectors4.Load(row1.Slice(c, 4 * w)), vs);
            }
            float sum0 = products0.Sum(), sum1 = products1.Sum();
            for (; c < k; c++)
            {
                sum0 += row0[c] * v[c];
                sum1 += row1[c] * v[c];
            }
            dots[r] = sum0;
            dots[second] = sum1;
        }
    }

    /// <summary>Starts loading a row into the caches (a no-op where the CPU has no prefetch instruction here).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Prefetch(ReadOnlySpan<float> row)
    {
        if (!Sse.IsSupported) return;
        fixed (float* start = row)
        {
            for (var c = 0; c < row.Length; c += 64 / sizeof(float)) Sse.Prefetch0(start + c);
        }
    }

    /// <summary>Four SIMD vectors of consecutive floats, held in registers.</summary>
    private readonly struct Vectors4(Vector<float> a, Vector<float> b, Vector<float> c, Vector<float> d)
    {
        private readonly Vector<float> a = a, b = b, c = c, d = d;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vectors4 Load(ReadOnlySpan<float> source)
        {
            var w = Vector<float>.Count;
            ref var s = ref MemoryMarshal.GetReference(source[..(4 * w)]);
            return new(Vector.LoadUnsafe(ref s), Vector.LoadUnsafe(ref s, (nuint)w), Vector.LoadUnsafe(ref s, (nuint)(2 * w)),
                Vector.LoadUnsafe(ref s, (nuint)(3 * w)));
        }

        /// <summary>this + scale·row, row four vectors long.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vectors4 MultiplyAdd(ReadOnlySpan<float> row, float scale) => MultiplyAdd(Load(row), scale);

        /// <summary>this + scale·row.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vectors4 MultiplyAdd(Vectors4 row, float scale)
        {
            var s = new Vector<float>(scale);
            return new(Vector.MultiplyAddEstimate(row.a, s, a), Vector.MultiplyAddEstimate(row.b, s, b), Vector.MultiplyAddEstimate(row.c, s, c),
                Vector.MultiplyAddEstimate(row.d, s, d));
        }

        /// <summary>this + x∘y, element by element.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vectors4 MultiplyAdd(Vectors4 x, Vectors4 y) =>
            new(Vector.MultiplyAddEstimate(x.a, y.a, a), Vector.MultiplyAddEstimate(x.b, y.b, b), Vector.MultiplyAddEstimate(x.c, y.c, c),
                Vector.MultiplyAddEstimate(x.d, y.d, d));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float Sum() => Vector.Sum(a + b + (c + d));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vectors4 Add(Vectors4 other) => new(a + other.a, b + other.b, c + other.c, d + other.d);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Store(Span<float> destination)
        {
            var w = Vector<float>.Count;
            ref var s = ref MemoryMarshal.GetReference(destination[..(4 * w)]);
            a.StoreUnsafe(ref s);
            b.StoreUnsafe(ref s, (nuint)w);
            c.StoreUnsafe(ref s, (nuint)(2 * w));
            d.StoreUnsafe(ref s, (nuint)(3 * w));
        }
    }
}
