using CarRecommender.Api.Auth;
using CarRecommender.Api.Recommendations;
using CarRecommender.Api.Sessions;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CarRecommender.Api.Endpoints;

/// <summary>
/// Anonymous visitors: a session to send events with (<c>X-Session-Id</c> on <c>POST /api/events</c>), recommendations
/// from what it looked at, and the merge into the user on sign-in.
/// </summary>
public static class SessionEndpoints
{
    public static IEndpointRouteBuilder MapSessionEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/sessions").WithTags("Sessions");
        group.MapPost("/", Create).WithName("CreateSession")
            .WithSummary("An anonymous session: 201 with {sessionId, createdAt}. The id is the session's secret: send it as the X-Session-Id header "
                         + "of POST /api/events (rate-limited per client address)")
            .RequireRateLimiting(SessionSetup.CreateRateLimit)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);
        group.MapPost("/{id}/merge", Merge).RequireAuthorization().WithName("MergeSession")
            .WithSummary("On sign-in: the session's events become the caller's (idempotent for the same user; 409 when it was merged into another)");
        group.MapGet("/{id}/recommendations", Recommendations).WithName("SessionRecommendations")
            .WithSummary("An anonymous session's recommendations from what it looked at (ranked live, mode \"session\"); takes the listing-search filters")
            .RequireRateLimiting(AuthSetup.SearchRateLimit)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);
        return app;
    }

    private static async Task<Created<SessionCreatedDto>> Create(VisitorSessions sessions, TimeProvider time, CancellationToken ct) =>
        TypedResults.Created((string?)null, await sessions.CreateAsync(time.GetUtcNow(), ct));

    private static async Task<Results<Ok<SessionMergedDto>, ValidationProblem, ProblemHttpResult>> Merge(
        string id, HttpContext http, VisitorSessions sessions, TimeProvider time, CancellationToken ct)
    {
        if (!TryParseId(id, "id", out var sessionId, out var invalid)) return invalid;
        var userId = http.User.UserId();
        var merge = await sessions.MergeAsync(sessionId, userId, time.GetUtcNow(), ct);
        if (merge.State == SessionState.Unknown) return UnknownSession();
        if (merge.UserId != userId)
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "The session belongs to another user",
                detail: "This session was merged into another account when that user signed in; a session is merged once. Start a new session.");
        return TypedResults.Ok(new SessionMergedDto(sessionId, userId, merge.Events));
    }

    private static async Task<Results<Ok<SessionRecommendationsDto>, ValidationProblem, ProblemHttpResult>> Recommendations(
        string id, [AsParameters] RecommendationQuery query, SessionRecommendationService service, CancellationToken ct)
    {
        if (!TryParseId(id, "id", out var sessionId, out var invalid)) return invalid;
        var errors = query.Parse(out var filter, out var limit, out var exclude);
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);
        var result = await service.GetAsync(sessionId, filter, limit, exclude, ct);
        return result is null ? UnknownSession() : TypedResults.Ok(result);
    }

    /// <summary>A session id (a UUID) from <paramref name="raw"/>, or a problem naming <paramref name="field"/>.</summary>
    internal static bool TryParseId(string raw, string field, out Guid id, out ValidationProblem problem)
    {
        problem = null!;
        if (Guid.TryParse(raw, out id) && id != Guid.Empty) return true;
        problem = TypedResults.ValidationProblem(new Dictionary<string, string[]>
        {
            [field] = [$"'{(raw.Length > 40 ? raw[..40] + "…" : raw)}' is not a session id (the UUID POST /api/sessions returned)."],
        });
        return false;
    }

    internal static ProblemHttpResult UnknownSession() =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown session",
            detail: "No session has this id. Start one with POST /api/sessions.");

    internal static ProblemHttpResult MergedSession() =>
        TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "The session was merged into a user",
            detail: "This session became a user's when they signed in: send its events with the user's token (Authorization: Bearer …), not X-Session-Id.");
}
