using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using CarRecommender.Admin.Auth;
using CarRecommender.Core.Domain;

namespace CarRecommender.Admin.Api;

/// <summary>Listing grid filters (all optional), sent as <c>GET /api/admin/listings</c>'s query.</summary>
public sealed record ListingGridFilter(string? Text = null, BodyType? Body = null, FuelType? Fuel = null, ListingStatus? Status = null,
    int? MaxPrice = null, int? MinYear = null);

/// <summary>An API call that did not succeed: the API's ProblemDetails title/detail, or why it could not be reached.</summary>
public sealed class ApiException(string message, HttpStatusCode? status = null) : Exception(message)
{
    public HttpStatusCode? Status { get; } = status;
}

/// <summary>
/// The admin console's calls to the API ("http://api" through Aspire service discovery), each with the signed-in
/// admin's own token (from the API's sign-in; the console cannot make tokens). The console has no database or broker
/// connection: everything it shows is read here, and recommendations, events, dead-letter actions and jobs go through
/// exactly the code the product runs, under the operator's name.
/// </summary>
public sealed class ApiClient(HttpClient http)
{
    public Task<OverviewDto> OverviewAsync(AdminIdentity admin, CancellationToken ct) => GetAsync<OverviewDto>(admin, "/api/admin/overview", ct);

    public Task<List<MinuteCountDto>> EventsPerMinuteAsync(AdminIdentity admin, int minutes, CancellationToken ct) =>
        GetAsync<List<MinuteCountDto>>(admin, $"/api/admin/events-per-minute?minutes={minutes}", ct);

    public Task<List<QueueDepthDto>> QueuesAsync(AdminIdentity admin, CancellationToken ct) => GetAsync<List<QueueDepthDto>>(admin, "/api/admin/queues", ct);

    public Task<List<ModelVersionDto>> ModelVersionsAsync(AdminIdentity admin, int limit, CancellationToken ct) =>
        GetAsync<List<ModelVersionDto>>(admin, $"/api/admin/models?limit={limit}", ct);

    /// <summary>A page of users (<paramref name="page"/> from 0, as the grid counts) whose e-mail or name contains <paramref name="search"/>.</summary>
    public Task<UserPageDto> UsersAsync(AdminIdentity admin, string? search, int page, int pageSize, CancellationToken ct) =>
        GetAsync<UserPageDto>(admin, $"/api/admin/users?page={page + 1}&pageSize={pageSize}" + Param("q", search?.Trim()), ct);

    /// <summary>A user with their vectors and event counts; null when there is no such user.</summary>
    public Task<AdminUserDetailDto?> UserAsync(AdminIdentity admin, long id, CancellationToken ct) =>
        FindAsync<AdminUserDetailDto>(admin, $"/api/admin/users/{id}/detail", ct);

    public Task<List<TimelineDayDto>> TimelineAsync(AdminIdentity admin, long userId, int days, CancellationToken ct) =>
        GetAsync<List<TimelineDayDto>>(admin, $"/api/admin/users/{userId}/timeline?days={days}", ct);

    public Task<List<UserInteractionDto>> InteractionsAsync(AdminIdentity admin, long userId, int limit, CancellationToken ct) =>
        GetAsync<List<UserInteractionDto>>(admin, $"/api/admin/users/{userId}/interactions?limit={limit}", ct);

    /// <summary>A page of the listing grid (<paramref name="page"/> from 0, as the grid counts).</summary>
    public Task<CappedPageDto<AdminListingDto>> ListingsAsync(AdminIdentity admin, ListingGridFilter f, int page, int pageSize, CancellationToken ct) =>
        GetAsync<CappedPageDto<AdminListingDto>>(admin, $"/api/admin/listings?page={page + 1}&pageSize={pageSize}" + Param("q", f.Text?.Trim())
            + Param("bodyType", f.Body?.ToString()) + Param("fuel", f.Fuel?.ToString()) + Param("status", f.Status?.ToString())
            + Param("maxPrice", f.MaxPrice?.ToString(CultureInfo.InvariantCulture)) + Param("minYear", f.MinYear?.ToString(CultureInfo.InvariantCulture)), ct);

    /// <summary>A listing with its content vector; null when there is no such listing.</summary>
    public Task<AdminListingDetailDto?> ListingAsync(AdminIdentity admin, long id, CancellationToken ct) =>
        FindAsync<AdminListingDetailDto>(admin, $"/api/admin/listings/{id}", ct);

    public Task<List<VectorPointDto>> VectorSampleAsync(AdminIdentity admin, int size, CancellationToken ct) =>
        GetAsync<List<VectorPointDto>>(admin, $"/api/admin/vectors/sample?size={size}", ct);

    public Task<List<VectorPointDto>> ListingVectorsAsync(AdminIdentity admin, IEnumerable<long> ids, CancellationToken ct) =>
        GetAsync<List<VectorPointDto>>(admin, "/api/admin/vectors/listings?ids=" + string.Join(',', ids), ct);

    public Task<RecommendationsDto> RecommendationsAsync(AdminIdentity admin, long userId, CancellationToken ct) =>
        GetAsync<RecommendationsDto>(admin, $"/api/admin/users/{userId}/recommendations?limit=10", ct);

    public Task<List<SimilarListingDto>> SimilarAsync(long listingId, CancellationToken ct) =>
        SendAsync<List<SimilarListingDto>>(HttpMethod.Get, $"/api/listings/{listingId}/similar?limit=8", null, null, ct);

    /// <summary>Posts one activity event on the inspected user's behalf (admin endpoint; recorded exactly as their own would be).</summary>
    public async Task<Guid> PostEventAsUserAsync(AdminIdentity admin, long userId, long listingId, InteractionType type, CancellationToken ct)
    {
        var eventId = Guid.NewGuid();
        await SendAsync<object>(HttpMethod.Post, $"/api/admin/users/{userId}/events", Token(admin),
            new { eventId, listingId, type = type.ToString().ToLowerInvariant() }, ct);
        return eventId;
    }

    public Task<List<DeadLetterQueueDto>> DeadLettersAsync(AdminIdentity admin, CancellationToken ct) =>
        GetAsync<List<DeadLetterQueueDto>>(admin, "/api/admin/dead-letters?peek=20", ct);

    public Task<DeadLetterActionDto> MoveDeadLettersAsync(AdminIdentity admin, string pipeline, bool requeue, string? messageId, CancellationToken ct) =>
        SendAsync<DeadLetterActionDto>(HttpMethod.Post,
            $"/api/admin/dead-letters/{Uri.EscapeDataString(pipeline)}/{(requeue ? "requeue" : "discard")}"
            + (messageId is null ? "" : "?messageId=" + Uri.EscapeDataString(messageId)), Token(admin), null, ct);

    /// <summary>Per market: the price models' versions with their metrics, the active one, and the listings by deal rating.</summary>
    public Task<List<PriceMarketDto>> PriceModelsAsync(AdminIdentity admin, CancellationToken ct) =>
        GetAsync<List<PriceMarketDto>>(admin, "/api/admin/price-models", ct);

    /// <summary>Asks the worker for a job (<see cref="JobKinds"/>); one of that kind already queued or running is an <see cref="ApiException"/> with 409.</summary>
    public Task<RankerStatusDto> RankerAsync(AdminIdentity admin, CancellationToken ct) => GetAsync<RankerStatusDto>(admin, "/api/admin/ranker", ct);

    public Task<ClickThroughDto> ClickThroughAsync(AdminIdentity admin, int days, CancellationToken ct) =>
        GetAsync<ClickThroughDto>(admin, $"/api/admin/click-through?days={days}", ct);

    public Task<JobDto> StartJobAsync(AdminIdentity admin, string kind, CancellationToken ct) =>
        SendAsync<JobDto>(HttpMethod.Post, "/api/admin/jobs", Token(admin), new JobRequest(kind), ct);

    /// <summary>The newest job of a kind, or null when none was ever asked for.</summary>
    public async Task<JobDto?> LatestJobAsync(AdminIdentity admin, string kind, CancellationToken ct) =>
        (await GetAsync<List<JobDto>>(admin, $"/api/admin/jobs?kind={kind}&limit=1", ct)).FirstOrDefault();

    /// <summary>Every experiment, newest first.</summary>
    public Task<List<ExperimentDto>> ExperimentsAsync(AdminIdentity admin, CancellationToken ct) =>
        GetAsync<List<ExperimentDto>>(admin, "/api/admin/experiments", ct);

    /// <summary>Creates a draft experiment; the API's refusal (shares, settings, a taken name) is an <see cref="ApiException"/>.</summary>
    public Task<ExperimentDto> CreateExperimentAsync(AdminIdentity admin, CreateExperimentDto experiment, CancellationToken ct) =>
        SendAsync<ExperimentDto>(HttpMethod.Post, "/api/admin/experiments", Token(admin), experiment, ct);

    /// <summary>Starts a draft; another experiment running, or this one not a draft, is an <see cref="ApiException"/> with 409.</summary>
    public Task<ExperimentDto> StartExperimentAsync(AdminIdentity admin, long id, CancellationToken ct) =>
        SendAsync<ExperimentDto>(HttpMethod.Post, $"/api/admin/experiments/{id}/start", Token(admin), null, ct);

    /// <summary>Stops a running experiment for good.</summary>
    public Task<ExperimentDto> StopExperimentAsync(AdminIdentity admin, long id, CancellationToken ct) =>
        SendAsync<ExperimentDto>(HttpMethod.Post, $"/api/admin/experiments/{id}/stop", Token(admin), null, ct);

    public Task<ExperimentResultsDto> ExperimentResultsAsync(AdminIdentity admin, long id, CancellationToken ct) =>
        GetAsync<ExperimentResultsDto>(admin, $"/api/admin/experiments/{id}/results", ct);

    /// <summary>Promotes a listing until <paramref name="until"/> (a later call moves the end).</summary>
    public Task<PromotionDto> PromoteAsync(AdminIdentity admin, long listingId, DateTimeOffset until, CancellationToken ct) =>
        SendAsync<PromotionDto>(HttpMethod.Put, $"/api/admin/listings/{listingId}/promotion", Token(admin), new SetPromotionDto(until), ct);

    /// <summary>Ends a listing's promotion now.</summary>
    public Task EndPromotionAsync(AdminIdentity admin, long listingId, CancellationToken ct) =>
        SendAsync<object>(HttpMethod.Delete, $"/api/admin/listings/{listingId}/promotion", Token(admin), null, ct);

    private static string Param(string name, string? value) => string.IsNullOrEmpty(value) ? "" : $"&{name}={Uri.EscapeDataString(value)}";

    private static string Token(AdminIdentity admin) =>
        admin.AccessToken ?? throw new ApiException("The session has no API token: sign in again.", HttpStatusCode.Unauthorized);

    private Task<T> GetAsync<T>(AdminIdentity admin, string path, CancellationToken ct) => SendAsync<T>(HttpMethod.Get, path, Token(admin), null, ct);

    private async Task<T?> FindAsync<T>(AdminIdentity admin, string path, CancellationToken ct) where T : class
    {
        try
        {
            return await GetAsync<T>(admin, path, ct);
        }
        catch (ApiException ex) when (ex.Status == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private async Task<T> SendAsync<T>(HttpMethod method, string path, string? token, object? body, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (body is not null) request.Content = JsonContent.Create(body);
        using var response = await ApiResponses.SendAsync(http, request, ct);
        return typeof(T) == typeof(object) ? default! : await ApiResponses.ReadAsync<T>(response, ct);
    }
}
