using System.Text.Json;
using CarRecommender.Api.Auth;
using CarRecommender.Api.Interactions;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CarRecommender.Api.Endpoints;

/// <summary>The answer to accepted events: every id, and which of them the log already held.</summary>
public sealed record EventsAcceptedDto(int Accepted, int Duplicates, IReadOnlyList<Guid> EventIds);

public static class EventEndpoints
{
    public static IEndpointRouteBuilder MapEventEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/events", Post)
            .WithTags("Events")
            .WithName("PostEvents")
            .WithSummary("Record activity: one event {listingId, type: view|save|unsave|share|contact|dismiss, occurredAt?, eventId?, recommendationId?} or an array of up to 500")
            .WithDescription("202 when stored (the pipelines apply it asynchronously). The same eventId twice is stored once. Nothing is stored unless every event is valid.")
            .Accepts<JsonElement>("application/json")
            .RequireAuthorization()
            .ProducesProblem(StatusCodes.Status429TooManyRequests);
        return app;
    }

    private static async Task<Results<Accepted<EventsAcceptedDto>, ValidationProblem, ProblemHttpResult>> Post(
        JsonElement body, HttpContext http, InteractionRecorder recorder, EventQuota quota, TimeProvider time, CancellationToken ct)
    {
        // charged per event before anything else, so neither a large batch nor a stream of invalid bodies gets through free
        if (quota.TryCharge(http, EventQuota.EventsIn(body)) is { } limited) return limited;
        var errors = new Dictionary<string, string[]>();
        var events = await recorder.ParseAsync(body, http.User.UserId(), time.GetUtcNow(), errors, ct);
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);

        var result = await recorder.RecordAsync(http.User.UserId(), events, ct);
        return TypedResults.Accepted((string?)null,
            new EventsAcceptedDto(result.Accepted.Count, result.Duplicates.Count, events.Select(e => e.EventId).ToList()));
    }
}
