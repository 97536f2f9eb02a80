using MathNet.Numerics.LinearAlgebra;

namespace CarRecommender.Admin.Vectors;

/// <summary>
/// A 2-D principal-component projection fitted on a sample of vectors: the mean and the two eigenvectors of the
/// covariance with the largest eigenvalues. Other vectors (a user's taste, their recommendations) are projected
/// into the same plane, so they can be drawn over the sample.
/// </summary>
public sealed class Pca
{
    private readonly Vector<double> _mean;
    private readonly Vector<double> _first;
    private readonly Vector<double> _second;

    private Pca(Vector<double> mean, Vector<double> first, Vector<double> second, double explained)
    {
        _mean = mean;
        _first = first;
        _second = second;
        ExplainedVariance = explained;
    }

    /// <summary>Share of the sample's variance the two components keep, in [0, 1].</summary>
    public double ExplainedVariance { get; }

    public static Pca Fit(IReadOnlyList<float[]> vectors)
    {
        if (vectors.Count < 2) throw new ArgumentException("PCA needs at least two vectors.", nameof(vectors));
        var d = vectors[0].Length;
        var data = Matrix<double>.Build.Dense(vectors.Count, d, (i, j) => vectors[i][j]);
        var mean = data.ColumnSums() / vectors.Count;
        var centred = data - Matrix<double>.Build.Dense(vectors.Count, d, (_, j) => mean[j]);
        var covariance = centred.TransposeThisAndMultiply(centred) / (vectors.Count - 1);
        var evd = covariance.Evd(Symmetricity.Symmetric);
        // eigenvalues of a symmetric matrix come in ascending order
        var values = evd.EigenValues.Real();
        var total = values.Sum();
        var first = evd.EigenVectors.Column(d - 1);
        var second = evd.EigenVectors.Column(d - 2);
        var explained = total > 0 ? (values[d - 1] + values[d - 2]) / total : 0;
        return new Pca(mean, Orient(first), Orient(second), explained);
    }

    public (double X, double Y) Project(float[] vector)
    {
        var v = Vector<double>.Build.Dense(vector.Length, i => vector[i]) - _mean;
        return (v.DotProduct(_first), v.DotProduct(_second));
    }

    /// <summary>An eigenvector's sign is arbitrary; fix it (largest entry positive) so the plot does not flip between runs.</summary>
    private static Vector<double> Orient(Vector<double> v) => v[v.AbsoluteMaximumIndex()] < 0 ? -v : v;
}
