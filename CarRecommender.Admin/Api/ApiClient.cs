using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using CarRecommender.Admin.Auth;
using CarRecommender.Core.Domain;
using Microsoft.AspNetCore.Mvc;

namespace CarRecommender.Admin.Api;

public sealed record ListingSummary(long Id, string Make, string Model, int Year, int Price, int MileageKm, string Fuel, string Transmission,
    string BodyType, int? PowerKw, string? City, string Status);

public sealed record RecommendedItem(ListingSummary Listing, double Score, string Source, string Reason, Guid RecommendationId);

public sealed record ServedRecommendations(long UserId, Guid RecommendationId, string Mode, DateTimeOffset ComputedAt, IReadOnlyList<RecommendedItem> Items);

public sealed record SimilarListing(ListingSummary Listing, double Similarity);

public sealed record DeadLetter(string? MessageId, string? Reason, string? SourceQueue, int Requeued, string Body);

public sealed record DeadLetterQueue(string Pipeline, string Queue, long Messages, IReadOnlyList<DeadLetter> First);

public sealed record DeadLetterAction(string Pipeline, string Action, int Messages);

/// <summary>An API call that did not succeed: the API's ProblemDetails title/detail, or why it could not be reached.</summary>
public sealed class ApiException(string message, HttpStatusCode? status = null) : Exception(message)
{
    public HttpStatusCode? Status { get; } = status;
}

/// <summary>
/// The admin console's calls to the API ("http://api" through Aspire service discovery), each with the signed-in
/// admin's own token (from the API's sign-in; the console cannot make tokens). So recommendations, events and
/// dead-letter actions go through exactly the code the product runs, under the operator's name.
/// </summary>
public sealed class ApiClient(HttpClient http)
{
    public Task<ServedRecommendations> RecommendationsAsync(AdminIdentity admin, long userId, CancellationToken ct) =>
        SendAsync<ServedRecommendations>(HttpMethod.Get, $"/api/admin/users/{userId}/recommendations?limit=10", Token(admin), null, ct);

    public Task<List<SimilarListing>> SimilarAsync(long listingId, CancellationToken ct) =>
        SendAsync<List<SimilarListing>>(HttpMethod.Get, $"/api/listings/{listingId}/similar?limit=8", null, null, ct);

    /// <summary>Posts one activity event on the inspected user's behalf (admin endpoint; recorded exactly as their own would be).</summary>
    public async Task<Guid> PostEventAsUserAsync(AdminIdentity admin, long userId, long listingId, InteractionType type, CancellationToken ct)
    {
        var eventId = Guid.NewGuid();
        await SendAsync<object>(HttpMethod.Post, $"/api/admin/users/{userId}/events", Token(admin),
            new { eventId, listingId, type = type.ToString().ToLowerInvariant() }, ct);
        return eventId;
    }

    public Task<List<DeadLetterQueue>> DeadLettersAsync(AdminIdentity admin, CancellationToken ct) =>
        SendAsync<List<DeadLetterQueue>>(HttpMethod.Get, "/api/admin/dead-letters?peek=20", Token(admin), null, ct);

    public Task<DeadLetterAction> MoveDeadLettersAsync(AdminIdentity admin, string pipeline, bool requeue, string? messageId, CancellationToken ct) =>
        SendAsync<DeadLetterAction>(HttpMethod.Post,
            $"/api/admin/dead-letters/{Uri.EscapeDataString(pipeline)}/{(requeue ? "requeue" : "discard")}"
            + (messageId is null ? "" : "?messageId=" + Uri.EscapeDataString(messageId)), Token(admin), null, ct);

    private static string Token(AdminIdentity admin) =>
        admin.AccessToken ?? throw new ApiException("The session has no API token: sign in again.", HttpStatusCode.Unauthorized);

    private async Task<T> SendAsync<T>(HttpMethod method, string path, string? token, object? body, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (body is not null) request.Content = JsonContent.Create(body);
        using var response = await ApiResponses.SendAsync(http, request, ct);
        return typeof(T) == typeof(object) ? default! : await ApiResponses.ReadAsync<T>(response, ct);
    }
}
