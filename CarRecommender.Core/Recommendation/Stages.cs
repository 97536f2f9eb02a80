using CarRecommender.Core.Recommendation.Rules;
using CarRecommender.Core.Search;

namespace CarRecommender.Core.Recommendation;

// The engine's stages, in the order a request meets them (Gorse's recall → rank → filter, named):
// taste → candidate sources → ranker → post-processors → explanation, and one store for the lists they make.

/// <summary>What is asked: the user's best <paramref name="Limit"/> listings passing <paramref name="Filter"/> (null: any).</summary>
public sealed record RecommendationRequest(long UserId, ListingFilter? Filter, int Limit, DateTimeOffset Now)
{
    /// <summary>The settings to rank under (an experiment variant's); null: the engine's defaults.</summary>
    public EngineSettings? Settings { get; init; }
    /// <summary>Listings the caller asked to leave out (<c>exclude=</c>), on top of those the history excludes.</summary>
    public IReadOnlySet<long> Exclude { get; init; } = EmptyIds;

    public static readonly IReadOnlySet<long> EmptyIds = new HashSet<long>();
}

/// <summary>The user as every stage sees them, and the version of their vectors (users.vectors_updated_at) it read.</summary>
public sealed record UserContext(UserTaste Taste, double? Latitude, double? Longitude, DateTimeOffset? VectorsAsOf);

/// <summary>A ranked list and what it was computed from (<see cref="RankerVersion"/>: the learned model that ranked it, if one did).</summary>
public sealed record RecommendationResult(IReadOnlyList<RankedListing> Items, DateTimeOffset? VectorsAsOf, int Candidates)
{
    public long? RankerVersion { get; init; }
}

/// <summary>Stage 1: who the user is to the engine (vectors, history, car-model affinity); null when there is no such user.</summary>
public interface ITasteLoader
{
    ValueTask<UserContext?> LoadAsync(long userId, CancellationToken ct);
}

/// <summary>What a candidate source is asked for: the user's taste, how many, and which listings it must never return.</summary>
/// <param name="Count">How many a personal source (content, latent, car model) returns.</param>
/// <param name="TrendingCount">How many the trending source returns (more for a user without vectors: it is all they get).</param>
public sealed record CandidateQuery(UserTaste Taste, int Count, int TrendingCount, IReadOnlySet<long> Excluded)
{
    /// <summary>The request's time: what is promoted is decided against it.</summary>
    public DateTimeOffset Now { get; init; } = DateTimeOffset.UtcNow;
    /// <summary>The settings the request ranks under (which sources run).</summary>
    public EngineSettings Settings { get; init; } = EngineSettings.Default;
}

/// <summary>
/// Stage 2: one way of finding listings the user may want. Every source has an indexed variant (PostgreSQL: HNSW or
/// b-tree over the live catalogue, <see cref="Sources.IndexedSources"/>) and an exact one over listings in memory
/// (<see cref="Sources.ExactSources"/>: a selective filter's matches, or the evaluation's catalogue).
/// </summary>
public interface ICandidateSource
{
    /// <summary>Names the source in traces, tests and settings ("content", "latent", "car-model", "trending", "price-drop", "promoted").</summary>
    string Name { get; }

    ValueTask<IReadOnlyList<Candidate>> FetchAsync(CandidateQuery query, CancellationToken ct);
}

/// <summary>Stage 2, composed: the candidate sources that serve one request (indexed or exact, filtered or not).</summary>
public interface IRetrieval
{
    ValueTask<IReadOnlyList<Candidate>> RetrieveAsync(UserContext user, RecommendationRequest request, CandidateQuery query, CancellationToken ct);
}

/// <summary>A candidate with its relevance, the signal that mainly put it there, and what the business rules did to it.</summary>
public readonly record struct ScoredCandidate(Candidate Candidate, double Score, RecommendationSource Source, IReadOnlyList<string>? Notes = null)
{
    public ScoredCandidate Noted(string note) => this with { Notes = Notes is null ? [note] : [.. Notes, note] };

    /// <summary>
    /// Best first; equal scores by listing id, so the order never depends on the order the sources answered in (the
    /// ranker's order, and a post-processor's after it re-scores).
    /// </summary>
    public static readonly Comparison<ScoredCandidate> BestFirst =
        static (a, b) => b.Score.CompareTo(a.Score) is var c && c != 0 ? c : a.Candidate.ListingId.CompareTo(b.Candidate.ListingId);
}

/// <summary>Stage 3: scores every candidate (a pure function of the taste and the candidates).</summary>
public interface IRanker
{
    IReadOnlyList<ScoredCandidate> Score(UserTaste taste, IReadOnlyList<Candidate> candidates, DateTimeOffset now);
}

/// <summary>
/// Stage 4: reshapes the ranked candidates into the list: boosts, then diversity with the seller cap and the promoted
/// slots (<see cref="Ranking.ListRules"/>). Each gets the previous stage's output best first and returns at most
/// <paramref name="limit"/> items in list order.
/// </summary>
public interface IPostProcessor
{
    IReadOnlyList<ScoredCandidate> Apply(UserTaste taste, IReadOnlyList<ScoredCandidate> ranked, int limit, DateTimeOffset now);
}

/// <summary>How deep retrieval looks, and what it leaves out.</summary>
/// <param name="MinPerSource">A personal source returns at least this many…</param>
/// <param name="PerSourceFactor">…or this many times the list's length, whichever is more.</param>
/// <param name="WarmTrendingExtra">Trending for a user with vectors: the list's length plus this many.</param>
/// <param name="ExcludeSeen">Leave out every listing of the history, not only contacted or dismissed ones (offline
/// evaluation: a held-out item is one the user has not seen).</param>
public sealed record RetrievalOptions(int MinPerSource = 30, int PerSourceFactor = 3, int WarmTrendingExtra = 10, bool ExcludeSeen = false)
{
    /// <summary>The depths of the evaluation: every source, trending included, the top max(100, 10·K), seen items excluded.</summary>
    public static readonly RetrievalOptions Evaluation = new(100, 10, -1, ExcludeSeen: true);

    public CandidateQuery Query(UserTaste taste, int limit, IReadOnlySet<long>? alsoExcluded = null)
    {
        var count = Math.Max(PerSourceFactor * limit, MinPerSource);
        var trending = taste.Content is null && taste.Latent is null || WarmTrendingExtra < 0 ? count : limit + WarmTrendingExtra;
        var excluded = taste.History.Where(h => ExcludeSeen || h.Excluded).Select(h => h.ListingId).ToHashSet();
        if (alsoExcluded is not null) excluded.UnionWith(alsoExcluded);
        return new CandidateQuery(taste, count, trending, excluded);
    }
}
