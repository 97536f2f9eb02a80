using CarRecommender.Core.Learning;

namespace CarRecommender.Core.Tests;

/// <summary>
/// Implicit ALS written the plain way, in doubles: each row's A = YᵀY + λI + Σ_i (c_ui − 1)·y_iy_iᵀ and b = Σ_i c_ui·y_i
/// formed explicitly, then the same warm-started CG steps. The reference <see cref="ImplicitAls"/>'s SIMD kernels are
/// checked against.
/// </summary>
internal static class TextbookAls
{
    public static (double[] UserFactors, double[] ItemFactors) Train(SparseMatrix userItems, AlsOptions o)
    {
        var (users, items) = ImplicitAls.InitialFactors(userItems.Rows, userItems.Columns, o);
        var x = users.Select(v => (double)v).ToArray();
        var y = items.Select(v => (double)v).ToArray();
        var itemUsers = userItems.Transpose();
        for (var iteration = 0; iteration < o.Iterations; iteration++)
        {
            Sweep(userItems, x, y, o);
            Sweep(itemUsers, y, x, o);
        }
        return (x, y);
    }

    private static void Sweep(SparseMatrix rows, double[] target, double[] fixedSide, AlsOptions o)
    {
        var k = o.Factors;
        var gram = new double[k, k];
        for (var f = 0; f < fixedSide.Length / k; f++)
            for (var i = 0; i < k; i++)
                for (var j = 0; j < k; j++) gram[i, j] += fixedSide[f * k + i] * fixedSide[f * k + j];
        var meanObserved = (double)rows.NonZeros / Math.Max(1, rows.Rows);
        for (var u = 0; u < rows.Rows; u++)
        {
            var x = target.AsSpan(u * k, k);
            if (rows.RowStart[u] == rows.RowStart[u + 1])
            {
                x.Clear();
                continue;
            }
            var lambda = o.RowRegularization(rows.RowStart[u + 1] - rows.RowStart[u], meanObserved, rows.Columns);
            var a = new double[k, k];
            var b = new double[k];
            for (var i = 0; i < k; i++)
                for (var j = 0; j < k; j++) a[i, j] = gram[i, j] + (i == j ? lambda : 0);
            for (var n = rows.RowStart[u]; n < rows.RowStart[u + 1]; n++)
            {
                var extra = o.ExtraConfidence(rows.Values[n]);
                var yi = fixedSide.AsSpan(rows.ColumnIndex[n] * k, k);
                for (var i = 0; i < k; i++)
                {
                    b[i] += (1 + extra) * yi[i];
                    for (var j = 0; j < k; j++) a[i, j] += extra * yi[i] * yi[j];
                }
            }
            var r = new double[k];
            var ax = Multiply(a, x);
            for (var i = 0; i < k; i++) r[i] = b[i] - ax[i];
            var p = (double[])r.Clone();
            var rsOld = Dot(r, r);
            for (var step = 0; step < o.CgSteps && rsOld > 1e-20; step++)
            {
                var ap = Multiply(a, p);
                var stepSize = rsOld / Dot(p, ap);
                for (var i = 0; i < k; i++)
                {
                    x[i] += stepSize * p[i];
                    r[i] -= stepSize * ap[i];
                }
                var rsNew = Dot(r, r);
                for (var i = 0; i < k; i++) p[i] = r[i] + rsNew / rsOld * p[i];
                rsOld = rsNew;
            }
        }
    }

    private static double[] Multiply(double[,] a, ReadOnlySpan<double> v)
    {
        var result = new double[v.Length];
        for (var i = 0; i < v.Length; i++)
            for (var j = 0; j < v.Length; j++) result[i] += a[i, j] * v[j];
        return result;
    }

    private static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        double sum = 0;
        for (var i = 0; i < a.Length; i++) sum += a[i] * b[i];
        return sum;
    }
}
