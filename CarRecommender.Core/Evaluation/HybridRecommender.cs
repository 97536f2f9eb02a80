using System.Numerics.Tensors;
using CarRecommender.Core.Data;
using CarRecommender.Core.Domain;
using CarRecommender.Core.Learning;
using CarRecommender.Core.Ranking;

namespace CarRecommender.Core.Evaluation;

/// <summary>What the hybrid needs to know about a listing besides its interactions.</summary>
public sealed record ListingFeatures(string Make, string Model, int Year, int Price, BodyType BodyType, float[]? Content);

/// <summary>
/// The production hybrid under offline evaluation: the same <see cref="HybridRanker"/> that serves requests, fed the way
/// the serving stages feed it — candidates from the user's content vector (cosine), their ALS factors (inner product)
/// popularity and, with <paramref name="carModels"/>, the car-model EASE (the listings of the user's ten best car models,
/// most popular first), each the top <c>max(100, 10·K)</c> of the unseen listings (exact here, HNSW in production). The
/// user's content vector is the strength-weighted mean of their training listings' vectors (an evaluation log has
/// strengths, not event types and times, so the 30-day decay of the live profile does not apply); popularity stands
/// in for trending, since the log has no clock to decay by.
/// </summary>
public sealed class HybridRecommender(AlsOptions als, IReadOnlyDictionary<string, ListingFeatures> listings, RankingOptions? ranking = null,
    EaseOptions? carModels = null) : IRecommender
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UnixEpoch.AddYears(50);
    private readonly AlsRecommender _als = new(als);
    private readonly CarModelEaseRecommender? _carModels = carModels is null ? null : new(carModels, listings);
    private SparseMatrix? _userItems;
    private ListingFeatures?[] _items = [];
    private double[] _trendKeys = [];
    private ThreadLocal<float[]>? _scratch;

    public string Name => "hybrid";

    public void Fit(TrainingData data, IProgress<LoadProgress>? progress = null, CancellationToken ct = default)
    {
        _als.Fit(data, progress, ct);
        _carModels?.Fit(data, progress, ct);
        _userItems = data.UserItems;
        _items = data.ItemIds.Select(id => listings.GetValueOrDefault(id)).ToArray();
        var counts = new double[data.UserItems.Columns];
        foreach (var column in data.UserItems.ColumnIndex) counts[column]++;
        _trendKeys = counts.Select(c => c > 0 ? Trending.Key(c, Now) : Trending.None).ToArray();
        _scratch?.Dispose();
        _scratch = new ThreadLocal<float[]>(() => new float[data.UserItems.Columns]);
    }

    public int Recommend(int user, Span<int> destination)
    {
        var model = _als.Model ?? throw new InvalidOperationException("Fit first");
        var m = _userItems!;
        var seen = m.ColumnIndex.AsSpan(m.RowStart[user], m.RowStart[user + 1] - m.RowStart[user]);
        var strengths = m.Values.AsSpan(m.RowStart[user], seen.Length);

        float[]? content = null;
        double weight = 0;
        var history = new List<HistoryItem>(seen.Length);
        for (var j = 0; j < seen.Length; j++)
        {
            var item = _items[seen[j]];
            if (item?.Content is { } v)
            {
                content ??= new float[v.Length];
                TensorPrimitives.MultiplyAdd(v, strengths[j], content, content);
                weight += strengths[j];
            }
            if (item is not null)
                history.Add(new HistoryItem(seen[j], item.Make, item.Model, item.Year, strengths[j] >= 3 ? InteractionType.Save : InteractionType.View,
                    false, item.Content, model.Item(seen[j]).ToArray()));
        }
        if (content is not null && weight > 0) TensorPrimitives.Divide(content, (float)weight, content);
        var latent = model.User(user).ToArray();

        var perSource = Math.Max(100, 10 * destination.Length);
        var pool = new HashSet<int>();
        var scores = _scratch!.Value!;
        var top = new int[perSource];
        var seenArray = seen.ToArray();
        void AddTop(Func<int, float> score)
        {
            for (var i = 0; i < scores.Length; i++) scores[i] = score(i);
            TopK.Exclude(scores, seenArray);
            var n = TopK.Select(scores, top);
            for (var i = 0; i < n; i++) pool.Add(top[i]);
        }
        if (content is not null)
            AddTop(i => _items[i]?.Content is { } v ? (float)HybridRanker.Cosine(content, v) : float.NegativeInfinity);
        AddTop(i => TensorPrimitives.Dot(latent, model.Item(i)));
        AddTop(i => (float)_trendKeys[i]);
        var affinity = _carModels?.Affinity(user) ?? CarModelAffinity.None;
        if (affinity.Top(Recommender.CarModelSourceModels) is { Count: > 0 } best)
        {
            var wanted = best.ToHashSet(StringComparer.Ordinal);
            AddTop(i => _carModels!.Models[i] is { } key && wanted.Contains(key) ? (float)_trendKeys[i] : float.NegativeInfinity);
        }

        var candidates = pool.Where(i => _items[i] is not null).Select(i =>
        {
            var f = _items[i]!;
            return new Candidate(i, f.Make, f.Model, f.Year, f.Price, f.BodyType, f.Content, model.Item(i).ToArray(), _trendKeys[i], null);
        }).ToList();
        var taste = new UserTaste(content, latent, seen.Length, history) { CarModels = affinity };
        var ranked = HybridRanker.Rank(taste, candidates, destination.Length, Now, ranking);
        for (var i = 0; i < ranked.Count; i++) destination[i] = (int)ranked[i].ListingId;
        return ranked.Count;
    }
}
