using System.Numerics.Tensors;
using CarRecommender.Core.Data;
using CarRecommender.Core.Learning;

namespace CarRecommender.Core.Evaluation;

/// <summary>Weights of the collaborative blend: ALS factors, EASE, popularity (each min–max normalised per user).</summary>
public sealed record BlendWeights(double Latent = 0.25, double Ease = 1, double Popularity = 0)
{
    public override string ToString() => $"ALS {Latent:0.##} · EASE {Ease:0.##} · popularity {Popularity:0.##}";
}

/// <summary>
/// The production collaborative blend on logs without listing features (files like MovieLens): candidates are the
/// top <c>max(100, 10·K)</c> unseen items of ALS, EASE and popularity; each source's scores are min–max normalised
/// over that pool and summed with <see cref="BlendWeights"/>, as the hybrid ranker blends its sources in production.
/// It reuses fitted ALS and EASE models, so the self-tuning can try many weights for one fit.
/// </summary>
public sealed class BlendRecommender(AlsRecommender als, EaseRecommender ease, BlendWeights weights, string name = "hybrid") : IRecommender
{
    private SparseMatrix? _userItems;
    private float[] _popularity = [];
    private ThreadLocal<Scratch>? _scratch;

    public BlendWeights Weights { get; } = weights;
    public AlsRecommender Als { get; } = als;
    public EaseRecommender Ease { get; } = ease;
    public string Name { get; } = name;

    /// <summary>Fits ALS and EASE unless they are fitted already (on the same data).</summary>
    public void Fit(TrainingData data, IProgress<LoadProgress>? progress = null, CancellationToken ct = default)
    {
        if (Als.Model is null) Als.Fit(data, progress, ct);
        if (Ease.Model is null) Ease.Fit(data, progress, ct);
        _userItems = data.UserItems;
        _popularity = new float[data.UserItems.Columns];
        foreach (var c in data.UserItems.ColumnIndex) _popularity[c]++;
        _scratch?.Dispose();
        var columns = data.UserItems.Columns;
        _scratch = new ThreadLocal<Scratch>(() => new Scratch(columns));
    }

    public int Recommend(int user, Span<int> destination)
    {
        var m = _userItems ?? throw new InvalidOperationException("Fit first");
        var s = _scratch!.Value!;
        var seen = m.ColumnIndex.AsSpan(m.RowStart[user], m.RowStart[user + 1] - m.RowStart[user]);
        var perSource = Math.Max(100, 10 * destination.Length);
        if (s.Top.Length != perSource) s.Top = new int[perSource];

        var model = Als.Model!;
        var x = model.User(user);
        for (var i = 0; i < s.Latent.Length; i++) s.Latent[i] = TensorPrimitives.Dot(x, model.Item(i));
        Ease.Scores(user, s.Ease);
        _popularity.CopyTo(s.Popularity, 0);
        s.Pool.Clear();
        foreach (var source in new[] { (s.Latent, Weights.Latent), (s.Ease, Weights.Ease), (s.Popularity, Weights.Popularity) })
        {
            if (source.Item2 <= 0) continue;
            source.Item1.CopyTo(s.Work, 0);
            TopK.Exclude(s.Work, seen);
            var n = TopK.Select(s.Work, s.Top);
            for (var i = 0; i < n; i++) s.Pool.Add(s.Top[i]);
        }
        var pool = s.Pool.ToArray();
        var blended = new float[pool.Length];
        Accumulate(pool, s.Latent, Weights.Latent, blended);
        Accumulate(pool, s.Ease, Weights.Ease, blended);
        Accumulate(pool, s.Popularity, Weights.Popularity, blended);
        var order = new int[Math.Min(destination.Length, pool.Length)];
        var count = TopK.Select(blended, order);
        for (var i = 0; i < count; i++) destination[i] = pool[order[i]];
        return count;
    }

    /// <summary>Adds weight × (score − min) / (max − min) over the pool; items a source cannot score get its minimum.</summary>
    private static void Accumulate(int[] pool, float[] scores, double weight, float[] blended)
    {
        if (weight <= 0) return;
        float min = float.PositiveInfinity, max = float.NegativeInfinity;
        foreach (var i in pool)
        {
            var v = scores[i];
            if (float.IsNegativeInfinity(v)) continue;
            min = Math.Min(min, v);
            max = Math.Max(max, v);
        }
        if (!(max > min)) return;
        var scale = (float)(weight / (max - min));
        for (var n = 0; n < pool.Length; n++)
        {
            var v = scores[pool[n]];
            if (!float.IsNegativeInfinity(v)) blended[n] += (v - min) * scale;
        }
    }

    private sealed class Scratch(int columns)
    {
        public readonly float[] Latent = new float[columns], Ease = new float[columns], Popularity = new float[columns], Work = new float[columns];
        public readonly HashSet<int> Pool = [];
        public int[] Top = [];
    }
}
