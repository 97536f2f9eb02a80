using CarRecommender.Core.Evaluation;

namespace CarRecommender.Core.Learning;

/// <summary>
/// EASE at the level of the car model (make + model) rather than the listing. A listing sells within weeks, so
/// listing-level co-occurrence is thin and dies with the listing; "people who looked at a Golf also looked at an
/// Octavia" persists. A user's listing interactions are mapped to their car models (binary), EASE is fitted over car
/// models, and the strongest positive links of each model are kept: what serving needs, and small enough to store.
/// </summary>
public static class CarModelEase
{
    /// <summary>How many of each car model's strongest positive links are kept.</summary>
    public const int LinksPerModel = 30;

    /// <summary>The car-model key of a listing: make and model as stored, joined by a space.</summary>
    public static string Key(string make, string model) => $"{make} {model}";

    /// <summary>
    /// Maps a user × listing matrix to a binary user × car model matrix: <paramref name="itemModels"/> holds each listing
    /// column's car-model key (null for a listing whose model is unknown; it is left out).
    /// </summary>
    public static (SparseMatrix Matrix, string[] Models, int[] ModelOfItem) Map(SparseMatrix userItems, IReadOnlyList<string?> itemModels)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(itemModels.Count, userItems.Columns, nameof(itemModels));
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        var modelOfItem = new int[itemModels.Count];
        for (var i = 0; i < itemModels.Count; i++)
        {
            if (itemModels[i] is not { } key) { modelOfItem[i] = -1; continue; }
            if (!index.TryGetValue(key, out var m)) index[key] = m = index.Count;
            modelOfItem[i] = m;
        }
        var triples = new List<(int, int, float)>();
        var row = new HashSet<int>();
        for (var u = 0; u < userItems.Rows; u++)
        {
            row.Clear();
            for (var j = userItems.RowStart[u]; j < userItems.RowStart[u + 1]; j++)
                if (modelOfItem[userItems.ColumnIndex[j]] is var m and >= 0 && row.Add(m)) triples.Add((u, m, 1f));
        }
        var models = new string[index.Count];
        foreach (var (key, m) in index) models[m] = key;
        return (SparseMatrix.FromTriples(userItems.Rows, models.Length, triples), models, modelOfItem);
    }

    /// <summary>The same log at car-model level (each pair's latest time; EASE reads it as binary), for validating a retrain's λ.</summary>
    public static InteractionLog MapLog(InteractionLog log, IReadOnlyList<string?> itemModels) =>
        InteractionLog.Aggregate(log.Entries.Where(e => itemModels[e.Item] is not null)
            .Select(e => (log.UserIds[e.User], itemModels[e.Item]!, 1f, e.Timestamp)));

    /// <summary>Fits EASE over car models and keeps each model's <paramref name="keep"/> strongest positive links.</summary>
    public static CarModelLinks Train(SparseMatrix userItems, IReadOnlyList<string?> itemModels, EaseOptions options, int keep = LinksPerModel,
        CancellationToken ct = default)
    {
        var (matrix, models, _) = Map(userItems, itemModels);
        return Links(Ease.Train(matrix, options, ct), models, keep);
    }

    /// <summary>Each model's strongest positive outgoing weights B_ij (i → j), at most <paramref name="keep"/> of them.</summary>
    public static CarModelLinks Links(EaseModel model, IReadOnlyList<string> models, int keep = LinksPerModel)
    {
        var links = new Dictionary<string, IReadOnlyList<CarModelLink>>(StringComparer.Ordinal);
        for (var i = 0; i < model.Size; i++)
        {
            var row = model.Row(i);
            var top = new List<CarModelLink>();
            for (var j = 0; j < model.Size; j++)
                if (row[j] > 0) top.Add(new CarModelLink(models[model.Items[j]], row[j]));
            if (top.Count > 0)
                links[models[model.Items[i]]] = top.OrderByDescending(l => l.Weight).ThenBy(l => l.Related, StringComparer.Ordinal).Take(keep).ToList();
        }
        return new CarModelLinks(links);
    }
}

/// <summary>One kept EASE weight: interacting with the source model speaks this much for <paramref name="Related"/>.</summary>
public readonly record struct CarModelLink(string Related, float Weight);

/// <summary>The kept links of a trained car-model EASE, by source model key.</summary>
public sealed class CarModelLinks(IReadOnlyDictionary<string, IReadOnlyList<CarModelLink>> links)
{
    public static readonly CarModelLinks Empty = new(new Dictionary<string, IReadOnlyList<CarModelLink>>());

    public IReadOnlyDictionary<string, IReadOnlyList<CarModelLink>> BySource { get; } = links;

    /// <summary>A user's affinity to car models, from the car models they interacted with positively.</summary>
    public CarModelAffinity For(IEnumerable<string> userModels)
    {
        var scores = new Dictionary<string, (double Score, string Because, double Strongest)>(StringComparer.Ordinal);
        foreach (var source in userModels.Distinct(StringComparer.Ordinal))
        {
            if (!BySource.TryGetValue(source, out var related)) continue;
            foreach (var (target, weight) in related)
            {
                var (score, because, strongest) = scores.GetValueOrDefault(target, (0, source, double.NegativeInfinity));
                scores[target] = weight > strongest ? (score + weight, source, weight) : (score + weight, because, strongest);
            }
        }
        return new CarModelAffinity(scores.ToDictionary(kv => kv.Key, kv => new CarModelScore(kv.Value.Score, kv.Value.Because), StringComparer.Ordinal));
    }
}

/// <summary>How much a user's history speaks for a car model, and the model of theirs that speaks loudest.</summary>
public readonly record struct CarModelScore(double Score, string Because);

/// <summary>A user's EASE scores over car models (Σ of the kept links from their models); absent models score nothing.</summary>
public sealed class CarModelAffinity(IReadOnlyDictionary<string, CarModelScore> scores)
{
    public static readonly CarModelAffinity None = new(new Dictionary<string, CarModelScore>());

    public IReadOnlyDictionary<string, CarModelScore> Scores { get; } = scores;
    public bool IsEmpty => Scores.Count == 0;

    public CarModelScore? Of(string make, string model) => Scores.TryGetValue(CarModelEase.Key(make, model), out var s) ? s : null;

    /// <summary>The best-scoring car models, strongest first.</summary>
    public IReadOnlyList<string> Top(int count) =>
        Scores.OrderByDescending(kv => kv.Value.Score).ThenBy(kv => kv.Key, StringComparer.Ordinal).Take(count).Select(kv => kv.Key).ToList();
}
