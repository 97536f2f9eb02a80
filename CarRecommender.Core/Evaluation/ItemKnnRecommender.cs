using CarRecommender.Core.Data;
using CarRecommender.Core.Learning;

namespace CarRecommender.Core.Evaluation;

/// <summary>
/// Item-based k-nearest neighbours: cosine similarity between item columns of the training matrix (strengths as values),
/// each item keeping its <see cref="Neighbours"/> most similar items; a user's score for an item is the sum of its
/// similarities to the user's training items. Similarities come from sparse co-occurrence (Σ over users of |items|²
/// work), never a dense items × items matrix.
/// </summary>
public sealed class ItemKnnRecommender(int neighbours = 100) : IRecommender
{
    private SparseMatrix? _userItems;
    private int[] _neighbourIndex = [];
    private float[] _neighbourSimilarity = [];
    private int[] _neighbourCount = [];
    private ThreadLocal<float[]>? _scratch;

    public int Neighbours { get; } = neighbours > 0 ? neighbours : throw new ArgumentOutOfRangeException(nameof(neighbours));
    public string Name => "item-kNN";

    public void Fit(TrainingData data, IProgress<LoadProgress>? progress = null, CancellationToken ct = default)
    {
        var userItems = _userItems = data.UserItems;
        var itemUsers = userItems.Transpose();
        var items = userItems.Columns;
        var m = Neighbours;
        var norm = new float[items];
        for (var i = 0; i < items; i++)
        {
            double sum = 0;
            for (var j = itemUsers.RowStart[i]; j < itemUsers.RowStart[i + 1]; j++) sum += (double)itemUsers.Values[j] * itemUsers.Values[j];
            norm[i] = (float)Math.Sqrt(sum);
        }
        _neighbourIndex = new int[items * m];
        _neighbourSimilarity = new float[items * m];
        _neighbourCount = new int[items];
        var done = 0;
        Parallel.For(0, items, new ParallelOptions { CancellationToken = ct },
            () => (Dot: new float[items], Touched: new List<int>(), Scores: new float[items]),
            (i, _, buffers) =>
            {
                if (norm[i] == 0) return buffers;
                var (dot, touched, _) = buffers;
                touched.Clear();
                for (var a = itemUsers.RowStart[i]; a < itemUsers.RowStart[i + 1]; a++)
                {
                    var u = itemUsers.ColumnIndex[a];
                    var weight = itemUsers.Values[a];
                    for (var b = userItems.RowStart[u]; b < userItems.RowStart[u + 1]; b++)
                    {
                        var j = userItems.ColumnIndex[b];
                        if (j == i) continue;
                        if (dot[j] == 0) touched.Add(j);
                        dot[j] += weight * userItems.Values[b];
                    }
                }
                KeepBest(i, dot, touched, norm, buffers.Scores);
                foreach (var j in touched) dot[j] = 0;
                var finished = Interlocked.Increment(ref done);
                if (finished % 1000 == 0) progress?.Report(new LoadProgress("item-kNN: similarities", finished, items));
                return buffers;
            },
            _ => { });
        progress?.Report(new LoadProgress("item-kNN: similarities", items, items));
        _scratch?.Dispose();
        _scratch = new ThreadLocal<float[]>(() => new float[items]);
    }

    /// <summary>Writes item i's top neighbours (by cosine) among the touched co-occurring items.</summary>
    private void KeepBest(int i, float[] dot, List<int> touched, float[] norm, float[] scores)
    {
        var m = Neighbours;
        if (touched.Count <= m)
        {
            var n = 0;
            foreach (var j in touched.Order())
            {
                _neighbourIndex[i * m + n] = j;
                _neighbourSimilarity[i * m + n++] = dot[j] / (norm[i] * norm[j]);
            }
            _neighbourCount[i] = n;
            return;
        }
        // TopK over a dense score row: untouched items stay −∞
        Array.Fill(scores, float.NegativeInfinity);
        foreach (var j in touched) scores[j] = dot[j] / (norm[i] * norm[j]);
        var count = TopK.Select(scores, _neighbourIndex.AsSpan(i * m, m));
        for (var n = 0; n < count; n++) _neighbourSimilarity[i * m + n] = scores[_neighbourIndex[i * m + n]];
        _neighbourCount[i] = count;
    }

    public int Recommend(int user, Span<int> destination)
    {
        var m = _userItems ?? throw new InvalidOperationException("Fit first");
        var scores = _scratch!.Value!;
        Array.Clear(scores);
        var seen = m.ColumnIndex.AsSpan(m.RowStart[user], m.RowStart[user + 1] - m.RowStart[user]);
        foreach (var item in seen)
        {
            var k = Neighbours;
            for (var n = 0; n < _neighbourCount[item]; n++)
                scores[_neighbourIndex[item * k + n]] += _neighbourSimilarity[item * k + n];
        }
        // only items related to the user's history are candidates
        for (var i = 0; i < scores.Length; i++)
            if (scores[i] == 0) scores[i] = float.NegativeInfinity;
        TopK.Exclude(scores, seen);
        return TopK.Select(scores, destination);
    }
}
