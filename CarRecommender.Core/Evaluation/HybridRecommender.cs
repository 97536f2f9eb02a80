using System.Numerics.Tensors;
using CarRecommender.Core.Data;
using CarRecommender.Core.Domain;
using CarRecommender.Core.Learning;
using CarRecommender.Core.Recommendation;
using CarRecommender.Core.Recommendation.Ranking;
using CarRecommender.Core.Recommendation.Sources;
using CarRecommender.Core.Recommendation.Taste;

namespace CarRecommender.Core.Evaluation;

/// <summary>What the hybrid needs to know about a listing besides its interactions.</summary>
public sealed record ListingFeatures(string Make, string Model, int Year, int Price, BodyType BodyType, float[]? Content)
{
    /// <summary>The features of a catalogue's listings, keyed as an interaction log keys items (the listing id).</summary>
    public static Dictionary<string, ListingFeatures> Of(IEnumerable<Listing> catalogue) =>
        catalogue.ToDictionary(l => l.Id.ToString(System.Globalization.CultureInfo.InvariantCulture),
            l => new ListingFeatures(l.Make, l.Model, l.Year, l.Price, l.BodyType, l.ContentVector?.ToArray()));
}

/// <summary>
/// The production engine under offline evaluation: the same <see cref="RecommendationEngine"/> stages that serve
/// requests, composed over the training data in memory — the exact twins of the serving sources over a catalogue of
/// every listing with features (ALS factors as latent vectors; popularity as the trending key, since the log has no
/// clock to decay by), each the top <c>max(100, 10·K)</c> of the unseen listings. The user's content vector is the
/// strength-weighted mean of their training listings' vectors (an evaluation log has strengths, not event types and
/// times, so the 30-day decay of the live profile does not apply).
/// </summary>
public sealed class HybridRecommender(AlsOptions als, IReadOnlyDictionary<string, ListingFeatures> listings, RankingOptions? ranking = null,
    EaseOptions? carModels = null) : IRecommender
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UnixEpoch.AddYears(50);
    private readonly AlsRecommender _als = new(als);
    private readonly CarModelEaseRecommender? _carModels = carModels is null ? null : new(carModels, listings);
    private SparseMatrix? _userItems;
    private ListingFeatures?[] _items = [];
    private RecommendationEngine? _engine;

    public string Name => "hybrid";

    public void Fit(TrainingData data, IProgress<LoadProgress>? progress = null, CancellationToken ct = default)
    {
        _als.Fit(data, progress, ct);
        _carModels?.Fit(data, progress, ct);
        var model = _als.Model!;
        _userItems = data.UserItems;
        _items = data.ItemIds.Select(id => listings.GetValueOrDefault(id)).ToArray();
        var counts = new double[data.UserItems.Columns];
        foreach (var column in data.UserItems.ColumnIndex) counts[column]++;
        var catalogue = new CandidateCatalogue(_items.Select((f, i) => f is null ? null
                : new Candidate(i, f.Make, f.Model, f.Year, f.Price, f.BodyType, f.Content, model.Item(i).ToArray(),
                    counts[i] > 0 ? Trending.Key(counts[i], Now) : Trending.None, null))
            .OfType<Candidate>());
        _engine = RecommendationEngine.Create(new InMemoryTastes(user => Taste((int)user)), new MemoryRetrieval(catalogue), ranking,
            RetrievalOptions.Evaluation);
    }

    public int Recommend(int user, Span<int> destination)
    {
        var engine = _engine ?? throw new InvalidOperationException("Fit first");
        // every stage is in memory, so the engine answers synchronously
        var pending = engine.RecommendAsync(new RecommendationRequest(user, null, destination.Length, Now), CancellationToken.None);
        var ranked = (pending.IsCompletedSuccessfully ? pending.Result : pending.AsTask().GetAwaiter().GetResult())!.Items;
        for (var i = 0; i < ranked.Count; i++) destination[i] = (int)ranked[i].ListingId;
        return ranked.Count;
    }

    /// <summary>The user as the engine sees them: training listings as history, their strength-weighted content mean, ALS factors.</summary>
    private UserContext Taste(int user)
    {
        var model = _als.Model!;
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
            else
                history.Add(new HistoryItem(seen[j], "", "", 0, null, false, null, null));
        }
        if (content is not null && weight > 0) TensorPrimitives.Divide(content, (float)weight, content);
        var taste = new UserTaste(content, model.User(user).ToArray(), seen.Length, history)
        {
            CarModels = _carModels?.Affinity(user) ?? CarModelAffinity.None,
        };
        return new UserContext(taste, null, null, null);
    }
}
