using CarRecommender.Core.Data;
using CarRecommender.Core.Learning;

namespace CarRecommender.Core.Evaluation;

/// <summary>
/// The car-model EASE as production serves it (<see cref="CarModelEase"/>): fitted over the car models of the training
/// listings, its strongest links kept, a user's affinity summed from the models of their training listings, and every
/// unseen listing scored by its model's affinity, the more popular listing of a model first (production takes a model's
/// hottest listings). Listings whose model the user's history says nothing for are not recommended.
/// </summary>
public sealed class CarModelEaseRecommender(EaseOptions options, IReadOnlyDictionary<string, ListingFeatures> listings) : IRecommender
{
    private SparseMatrix? _userItems;
    private string?[] _models = [];
    private float[] _popularity = [];
    private CarModelLinks _links = CarModelLinks.Empty;
    private ThreadLocal<float[]>? _scratch;

    public string Name => "EASE (car models)";

    public void Fit(TrainingData data, IProgress<LoadProgress>? progress = null, CancellationToken ct = default)
    {
        progress?.Report(new LoadProgress("EASE over car models", 0, 0));
        _userItems = data.UserItems;
        _models = data.ItemIds.Select(id => listings.GetValueOrDefault(id) is { } f ? CarModelEase.Key(f.Make, f.Model) : null).ToArray();
        _links = CarModelEase.Train(data.UserItems, _models, options, ct: ct);
        var counts = new float[data.UserItems.Columns];
        foreach (var c in data.UserItems.ColumnIndex) counts[c]++;
        var max = Math.Max(1, counts.DefaultIfEmpty().Max());
        // below any difference of affinity: only orders listings of one model
        _popularity = counts.Select(c => c / max * 1e-4f).ToArray();
        _scratch?.Dispose();
        _scratch = new ThreadLocal<float[]>(() => new float[data.UserItems.Columns]);
    }

    /// <summary>The user's affinity to car models, from their training listings.</summary>
    public CarModelAffinity Affinity(int user)
    {
        var m = _userItems ?? throw new InvalidOperationException("Fit first");
        var models = new List<string>();
        for (var j = m.RowStart[user]; j < m.RowStart[user + 1]; j++)
            if (_models[m.ColumnIndex[j]] is { } key) models.Add(key);
        return _links.For(models);
    }

    /// <summary>Each listing's car-model key (null when unknown), by training column.</summary>
    public IReadOnlyList<string?> Models => _models;

    public int Recommend(int user, Span<int> destination)
    {
        var m = _userItems ?? throw new InvalidOperationException("Fit first");
        var affinity = Affinity(user);
        var scores = _scratch!.Value!;
        for (var i = 0; i < scores.Length; i++)
            scores[i] = _models[i] is { } key && affinity.Scores.TryGetValue(key, out var s) ? (float)s.Score + _popularity[i] : float.NegativeInfinity;
        TopK.Exclude(scores, m.ColumnIndex.AsSpan(m.RowStart[user], m.RowStart[user + 1] - m.RowStart[user]));
        return TopK.Select(scores, destination);
    }
}
