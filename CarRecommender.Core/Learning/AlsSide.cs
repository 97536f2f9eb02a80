namespace CarRecommender.Core.Learning;

/// <summary>
/// One side of <see cref="ImplicitAls"/>'s data (the users' rows, or the items') with what every sweep needs of it
/// besides the factors, computed once per training run rather than once per half-sweep: c − 1 per pair, λ per row, and
/// row ranges of about equal work for the parallel loop (a popular item's row can hold thousands of pairs, so ranges
/// of equal row counts would leave a core idle).
/// </summary>
internal sealed class AlsSide
{
    public SparseMatrix Matrix { get; }
    /// <summary>c − 1 of each stored pair, in <see cref="Matrix"/>'s order.</summary>
    public float[] Extra { get; }
    public float[] Lambda { get; }
    /// <summary>First row of each range of the parallel loop, then the row count.</summary>
    public int[] ChunkStart { get; }
    public int LongestRow { get; }

    public AlsSide(SparseMatrix rows, AlsOptions o)
    {
        Matrix = rows;
        Extra = new float[rows.NonZeros];
        for (var j = 0; j < Extra.Length; j++) Extra[j] = o.ExtraConfidence(rows.Values[j]);
        var observed = new int[rows.Rows];
        for (var r = 0; r < observed.Length; r++) observed[r] = rows.RowStart[r + 1] - rows.RowStart[r];
        Lambda = RowLambdas(observed, rows.Columns, o);
        LongestRow = observed.Length == 0 ? 0 : observed.Max();
        // a row costs about 2·n·k (its pairs, twice) + k² (the Gram product) per CG step
        var cost = (long)rows.NonZeros * 2 + (long)rows.Rows * o.Factors;
        var target = Math.Max(1, cost / (Environment.ProcessorCount * 16));
        var starts = new List<int> { 0 };
        long current = 0;
        for (var r = 0; r < observed.Length; r++)
        {
            current += 2 * observed[r] + o.Factors;
            if (current < target) continue;
            starts.Add(r + 1);
            current = 0;
        }
        if (starts[^1] != rows.Rows) starts.Add(rows.Rows);
        ChunkStart = [.. starts];
    }

    public int Chunks => ChunkStart.Length - 1;
    public ReadOnlySpan<int> Columns(int r) => Matrix.ColumnIndex.AsSpan(Matrix.RowStart[r], Matrix.RowStart[r + 1] - Matrix.RowStart[r]);
    public ReadOnlySpan<float> ExtraOf(int r) => Extra.AsSpan(Matrix.RowStart[r], Matrix.RowStart[r + 1] - Matrix.RowStart[r]);

    /// <summary>λ of each row of one side, <paramref name="observed"/>[r] its observed pairs.</summary>
    public static float[] RowLambdas(int[] observed, int otherSide, AlsOptions o)
    {
        var mean = observed.Length == 0 ? 0 : observed.Average();
        var lambda = new float[observed.Length];
        for (var r = 0; r < lambda.Length; r++) lambda[r] = (float)o.RowRegularization(observed[r], mean, otherSide);
        return lambda;
    }
}
