using System.Buffers;
using System.Numerics.Tensors;
using CarRecommender.Core.Evaluation;
using CarRecommender.Core.Learning;

namespace CarRecommender.Core.Recommendation.Sources;

/// <summary>
/// Listings held in memory for the exact sources: a selective filter's matches (a few thousand rows read once) or the
/// offline evaluation's whole catalogue. Kept newest first, so equal scores go to the newer listing, as the indexed
/// trending scan orders them (<c>trend_key DESC, id DESC</c>).
/// </summary>
public sealed class CandidateCatalogue
{
    private readonly Dictionary<long, int> _index;

    public CandidateCatalogue(IEnumerable<Candidate> listings)
    {
        var items = listings.DistinctBy(c => c.ListingId).OrderByDescending(c => c.ListingId).ToArray();
        Items = items;
        CarModels = items.Select(c => CarModelEase.Key(c.Make, c.Model)).ToArray();
        _index = items.Select((c, i) => (c.ListingId, i)).ToDictionary(x => x.ListingId, x => x.i);
        NewestTrendKey = items.Length == 0 ? 0 : items.Max(c => c.TrendKey);
    }

    public IReadOnlyList<Candidate> Items { get; }
    /// <summary>Each item's car-model key (<see cref="CarModelEase.Key"/>), computed once.</summary>
    internal string[] CarModels { get; }
    /// <summary>The largest trending key: keys are compared relative to it, where single precision still tells them apart.</summary>
    internal double NewestTrendKey { get; }

    public int? IndexOf(long listingId) => _index.TryGetValue(listingId, out var i) ? i : null;
}

/// <summary>
/// The candidate sources computed exactly over a <see cref="CandidateCatalogue"/>: the same five as
/// <see cref="IndexedSources"/>, each a top-k over every listing it holds (O(n log k)), the excluded ones left out.
/// </summary>
public static class ExactSources
{
    public static IReadOnlyList<ICandidateSource> All(CandidateCatalogue catalogue) =>
        [Content(catalogue), Latent(catalogue), CarModel(catalogue), Trending(catalogue), PriceDrop(catalogue), Promoted(catalogue)];

    /// <summary>Closest to the user's content vector (cosine); a listing without a vector, or a zero one, never.</summary>
    public static ICandidateSource Content(CandidateCatalogue catalogue) => new TopSource("content", catalogue, q =>
        q.Taste.Content is not { } taste ? null
        : c => c.Content is { } v && v.Length == taste.Length ? Defined(TensorPrimitives.CosineSimilarity(v, taste)) : float.NegativeInfinity);

    /// <summary>Highest inner product with the user's latent factors.</summary>
    public static ICandidateSource Latent(CandidateCatalogue catalogue) => new TopSource("latent", catalogue, q =>
        q.Taste.Latent is not { } taste ? null
        : c => c.Latent is { } f && f.Length == taste.Length ? Defined(TensorPrimitives.Dot(f, taste)) : float.NegativeInfinity);

    /// <summary>The most trending listings of the car models the car-model EASE proposes for the user.</summary>
    public static ICandidateSource CarModel(CandidateCatalogue catalogue) => new TopSource("car-model", catalogue, q =>
    {
        if (q.Taste.CarModels.Top(IndexedSources.CarModelSourceModels) is not { Count: > 0 } models) return null;
        var wanted = models.ToHashSet(StringComparer.Ordinal);
        var keep = catalogue.CarModels.Select(wanted.Contains).ToArray();
        return (c, i) => keep[i] ? TrendScore(catalogue, c) : float.NegativeInfinity;
    });

    /// <summary>The most trending listings.</summary>
    public static ICandidateSource Trending(CandidateCatalogue catalogue) =>
        new TopSource("trending", catalogue, _ => c => TrendScore(catalogue, c), trending: true);

    /// <summary>Listings the user knows whose price dropped since they last looked: candidates whatever the others find.</summary>
    public static ICandidateSource PriceDrop(CandidateCatalogue catalogue) => new FixedSource("price-drop", q =>
        IndexedSources.PriceDropped(q).Select(catalogue.IndexOf).OfType<int>().Select(i => catalogue.Items[i]).ToList());

    /// <summary>
    /// Promoted listings (at the request's time) closest to the user's taste, the hottest for a user without a content
    /// vector: as many as a list of the request's length has promoted slots to fill, three times over.
    /// </summary>
    public static ICandidateSource Promoted(CandidateCatalogue catalogue) => new TopSource("promoted", catalogue, q =>
    {
        var now = q.Now;
        return q.Taste.Content is { } taste
            ? c => c.IsPromoted(now) && c.Content is { } v && v.Length == taste.Length ? Defined(TensorPrimitives.CosineSimilarity(v, taste)) : float.NegativeInfinity
            : c => c.IsPromoted(now) ? TrendScore(catalogue, c) : float.NegativeInfinity;
    }, trending: true, keepFinite: true);

    private static float TrendScore(CandidateCatalogue catalogue, Candidate c) => (float)(c.TrendKey - catalogue.NewestTrendKey);

    // a zero vector has no direction: last, not NaN (which would sort unpredictably)
    private static float Defined(float value) => float.IsNaN(value) ? float.NegativeInfinity : value;

    /// <summary>A source that scores every listing and keeps the best; a scorer of null means the user gives it nothing to go on.</summary>
    /// <param name="keepFinite">Return only listings the scorer gave a finite score (a source over a subset of the catalogue).</param>
    private sealed class TopSource(string name, CandidateCatalogue catalogue, Func<CandidateQuery, Func<Candidate, int, float>?> scorer,
        bool trending = false, bool keepFinite = false) : ICandidateSource
    {
        public TopSource(string name, CandidateCatalogue catalogue, Func<CandidateQuery, Func<Candidate, float>?> scorer, bool trending = false,
            bool keepFinite = false)
            : this(name, catalogue, q => scorer(q) is { } score ? (c, _) => score(c) : null, trending, keepFinite)
        {
        }

        public string Name => name;

        public ValueTask<IReadOnlyList<Candidate>> FetchAsync(CandidateQuery query, CancellationToken ct)
        {
            var score = scorer(query);
            var count = Math.Min(trending ? query.TrendingCount : query.Count, catalogue.Items.Count);
            if (score is null || count <= 0) return ValueTask.FromResult<IReadOnlyList<Candidate>>([]);
            var items = catalogue.Items;
            var scores = ArrayPool<float>.Shared.Rent(items.Count);
            try
            {
                for (var i = 0; i < items.Count; i++) scores[i] = score(items[i], i);
                foreach (var id in query.Excluded)
                    if (catalogue.IndexOf(id) is { } i) scores[i] = float.NegativeInfinity;
                var top = new int[count];
                var n = TopK.Select(scores.AsSpan(0, items.Count), top);
                var picked = top.Take(n).Where(i => !keepFinite || float.IsFinite(scores[i])).Select(i => items[i]).ToList();
                return ValueTask.FromResult<IReadOnlyList<Candidate>>(picked);
            }
            finally
            {
                ArrayPool<float>.Shared.Return(scores);
            }
        }
    }

    private sealed class FixedSource(string name, Func<CandidateQuery, IReadOnlyList<Candidate>> fetch) : ICandidateSource
    {
        public string Name => name;

        public ValueTask<IReadOnlyList<Candidate>> FetchAsync(CandidateQuery query, CancellationToken ct) => ValueTask.FromResult(fetch(query));
    }
}

/// <summary>Retrieval over a catalogue in memory: every exact source (the catalogue is already what the request may see).</summary>
public sealed class MemoryRetrieval(CandidateCatalogue catalogue) : IRetrieval
{
    private readonly IReadOnlyList<ICandidateSource> _sources = ExactSources.All(catalogue);

    public ValueTask<IReadOnlyList<Candidate>> RetrieveAsync(UserContext user, RecommendationRequest request, CandidateQuery query, CancellationToken ct) =>
        request.Filter is null
            ? CatalogueRetrieval.FetchAllAsync(_sources, query, ct)
            : throw new ArgumentException("A catalogue in memory holds what the request may see; filter it before.", nameof(request));
}
