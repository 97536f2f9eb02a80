using System.Text.Json;
using CarRecommender.Api.Auth;
using CarRecommender.Api.Interactions;
using CarRecommender.Api.Sessions;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CarRecommender.Api.Endpoints;

/// <summary>The answer to accepted events: every id, and which of them the log already held; and how many impressions were new.</summary>
public sealed record EventsAcceptedDto(int Accepted, int Duplicates, IReadOnlyList<Guid> EventIds)
{
    public int Impressions { get; init; }
}

public static class EventEndpoints
{
    public static IEndpointRouteBuilder MapEventEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/events", Post)
            .WithTags("Events")
            .WithName("PostEvents")
            .WithSummary("Record activity: one event {listingId, type: view|save|unsave|share|contact|dismiss, occurredAt?, eventId?, recommendationId?} or an array of up to 500; "
                         + "impressions {type: impression, recommendationId, listingId, position} among them")
            .WithDescription("202 when stored (the pipelines apply it asynchronously). The same eventId twice is stored once. Nothing is stored unless every event is valid. "
                             + "A signed-in user's token, or, without one, an anonymous session's X-Session-Id header (POST /api/sessions): "
                             + "404 for an unknown session, 409 for one merged into a user on sign-in. An impression names a list served to the same user or "
                             + "session, a listing in it and its position (1–50); it is stored once per list and listing and moves no taste.")
            .Accepts<JsonElement>("application/json")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);
        return app;
    }

    private static async Task<Results<Accepted<EventsAcceptedDto>, ValidationProblem, ProblemHttpResult, ChallengeHttpResult>> Post(
        JsonElement body, HttpContext http, InteractionRecorder recorder, ImpressionRecorder impressions, VisitorSessions sessions, EventQuota quota,
        TimeProvider time, CancellationToken ct)
    {
        if (http.User.Identity?.IsAuthenticated == true) return await ForUserAsync(body, http, recorder, impressions, quota, time, ct);
        // a token that did not authenticate is refused as before, never taken for an anonymous session
        if (http.Request.Headers.Authorization.Count == 0 && http.Request.Headers[VisitorSessions.Header] is { Count: > 0 } header)
            return await ForSessionAsync(body, header.ToString(), http, recorder, impressions, sessions, quota, time, ct);
        return TypedResults.Challenge();
    }

    private static async Task<Results<Accepted<EventsAcceptedDto>, ValidationProblem, ProblemHttpResult, ChallengeHttpResult>> ForUserAsync(
        JsonElement body, HttpContext http, InteractionRecorder recorder, ImpressionRecorder impressions, EventQuota quota, TimeProvider time,
        CancellationToken ct)
    {
        // charged per event before anything else, so neither a large batch nor a stream of invalid bodies gets through free
        if (quota.TryCharge(http, EventQuota.EventsIn(body)) is { } limited) return limited;
        var errors = new Dictionary<string, string[]>();
        var shown = new List<ImpressionReport>();
        var userId = http.User.UserId();
        var events = await recorder.ParseAsync(body, userId, time.GetUtcNow(), errors, shown, ct);
        if (errors.Count == 0) await impressions.ValidateAsync(shown, userId, null, errors, ct);
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);

        var result = events.Count > 0 ? await recorder.RecordAsync(userId, events, ct) : NoEvents;
        return Accepted(result, events, await impressions.RecordAsync(shown, userId, null, ct));
    }

    private static readonly RecordResult NoEvents = new([], []);

    private static async Task<Results<Accepted<EventsAcceptedDto>, ValidationProblem, ProblemHttpResult, ChallengeHttpResult>> ForSessionAsync(
        JsonElement body, string header, HttpContext http, InteractionRecorder recorder, ImpressionRecorder impressions, VisitorSessions sessions,
        EventQuota quota, TimeProvider time, CancellationToken ct)
    {
        if (!SessionEndpoints.TryParseId(header, VisitorSessions.Header, out var sessionId, out var invalid)) return invalid;
        if (quota.TryCharge(http, EventQuota.EventsIn(body), sessionId) is { } limited) return limited;
        // a keyed read before the body is read: guessed ids cost no more than that
        var state = await sessions.StateAsync(sessionId, ct);
        if (state != SessionState.Open) return Refused(state);
        var errors = new Dictionary<string, string[]>();
        var now = time.GetUtcNow();
        // the parser's events are a user's; a session's carry no user (0) and are stored as the session's
        var shown = new List<ImpressionReport>();
        var events = await recorder.ParseAsync(body, 0, now, errors, shown, ct);
        if (errors.Count == 0) await impressions.ValidateAsync(shown, null, sessionId, errors, ct);
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);

        var result = events.Count > 0 ? await sessions.RecordAsync(sessionId, events, now, ct) : new SessionEventsResult(state, NoEvents);
        return result.Recorded is { } recorded ? Accepted(recorded, events, await impressions.RecordAsync(shown, null, sessionId, ct)) : Refused(result.State);
    }

    private static Accepted<EventsAcceptedDto> Accepted(RecordResult result, IReadOnlyList<Core.Events.UserActivityEvent> events, int impressions) =>
        TypedResults.Accepted((string?)null, new EventsAcceptedDto(result.Accepted.Count, result.Duplicates.Count, events.Select(e => e.EventId).ToList())
        {
            Impressions = impressions,
        });

    private static ProblemHttpResult Refused(SessionState state) =>
        state == SessionState.Merged ? SessionEndpoints.MergedSession() : SessionEndpoints.UnknownSession();
}
