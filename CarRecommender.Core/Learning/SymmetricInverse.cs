using System.Runtime.InteropServices;
using MathNet.Numerics.LinearAlgebra;

namespace CarRecommender.Core.Learning;

/// <summary>
/// Inverts a symmetric positive-definite matrix in place: LAPACK's <c>dpotrf</c> + <c>dpotri</c> (Cholesky, then the
/// inverse from the factor) from the system's <c>liblapack.so.3</c>, which <c>eng/install-deps.sh</c> backs with
/// OpenBLAS (about 45 s for 9,724 items on 2 cores); Math.NET's managed Cholesky where no LAPACK loads (fine for the
/// few hundred car models of a catalogue, far too slow for ten thousand items).
/// </summary>
public static partial class SymmetricInverse
{
    private static readonly Lazy<bool> NativeAvailable = new(() =>
        NativeLibrary.TryLoad("liblapack.so.3", typeof(SymmetricInverse).Assembly, null, out _));

    /// <summary>True when LAPACK is used.</summary>
    public static bool UsesLapack => NativeAvailable.Value;

    /// <summary>Replaces the row-major n × n <paramref name="a"/> by its inverse (both triangles).</summary>
    /// <exception cref="ArgumentException">The matrix is not positive definite.</exception>
    public static void Invert(double[] a, int n)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(a.Length, n * n);
        if (n == 0) return;
        if (UsesLapack) InvertNative(a, n);
        else InvertManaged(a, n);
    }

    private static void InvertNative(double[] a, int n)
    {
        // row-major lower = column-major upper; the result is symmetric, so only the copy step cares
        byte uplo = (byte)'U';
        var size = n;
        dpotrf(ref uplo, ref size, a, ref size, out var info);
        if (info != 0) throw new ArgumentException($"the matrix is not positive definite (LAPACK dpotrf info {info})", nameof(a));
        dpotri(ref uplo, ref size, a, ref size, out info);
        if (info != 0) throw new ArgumentException($"the matrix is singular (LAPACK dpotri info {info})", nameof(a));
        // dpotri fills the upper triangle in column-major order, i.e. the lower triangle of our row-major array
        Parallel.For(0, n, i =>
        {
            for (var j = i + 1; j < n; j++) a[(long)i * n + j] = a[(long)j * n + i];
        });
    }

    private static void InvertManaged(double[] a, int n)
    {
        var m = Matrix<double>.Build.Dense(n, n, (i, j) => a[(long)i * n + j]);
        var inverse = m.Cholesky().Solve(Matrix<double>.Build.DenseIdentity(n));
        for (var i = 0; i < n; i++)
            for (var j = 0; j < n; j++)
                a[(long)i * n + j] = inverse[i, j];
    }

    [LibraryImport("liblapack.so.3", EntryPoint = "dpotrf_")]
    private static partial void dpotrf(ref byte uplo, ref int n, [In, Out] double[] a, ref int lda, out int info);

    [LibraryImport("liblapack.so.3", EntryPoint = "dpotri_")]
    private static partial void dpotri(ref byte uplo, ref int n, [In, Out] double[] a, ref int lda, out int info);
}
