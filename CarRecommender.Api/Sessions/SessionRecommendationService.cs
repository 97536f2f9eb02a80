using System.Diagnostics;
using CarRecommender.Api.Recommendations;
using CarRecommender.Core.Data;
using CarRecommender.Core.Recommendation;
using CarRecommender.Core.Recommendation.Experiments;
using CarRecommender.Core.Recommendation.Taste;
using CarRecommender.Core.Search;
using CarRecommender.Telemetry;

namespace CarRecommender.Api.Sessions;

/// <summary>
/// Serves an anonymous session's recommendations: always live, from the registered engine composed over the session's
/// taste (<see cref="SessionTasteLoader"/>), under the session's experiment variant, with the request's exclusions. Nothing
/// is stored: a session's taste moves with every event and costs two keyed reads to compute. Every list is recorded as
/// served, as a user's is. The session counterpart of <see cref="RecommendationService"/>.
/// </summary>
public sealed class SessionRecommendationService(CarRecommenderDb db, RecommendationEngine engine, ExperimentRegistry experiments, TimeProvider clock,
    CarRecommenderMetrics metrics)
{
    public const string Mode = "session";

    /// <summary>The session's best <paramref name="limit"/> listings passing <paramref name="filter"/>, or null when there is no such session.</summary>
    public async Task<SessionRecommendationsDto?> GetAsync(Guid sessionId, ListingFilter? filter, int limit, IReadOnlySet<long> exclude, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        var assignment = await experiments.AssignAsync(Units.Session(sessionId), ct);
        // the request's user id means nothing here: the taste loader is the session's
        var request = new RecommendationRequest(0, filter, limit, clock.GetUtcNow()) { Settings = assignment.Settings, Exclude = exclude };
        if (await engine.With(new SessionTasteLoader(db, sessionId)).RecommendAsync(request, ct) is not { } ranked) return null;
        metrics.Candidates.Record(ranked.Candidates);
        var id = Guid.CreateVersion7();
        var items = await RecommendationService.WithListingsAsync(db, ranked.Items.ToList(), id, ct);
        await RecommendationService.RecordAsync(db, id, Mode, items, null, sessionId, assignment, ct);
        RecommendationService.Measure(metrics, started, Mode, items.Count);
        return new SessionRecommendationsDto(sessionId, id, Mode, clock.GetUtcNow(), items, assignment.Experiment, assignment.Variant);
    }
}
