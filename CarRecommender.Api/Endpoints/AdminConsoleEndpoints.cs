using System.Globalization;
using CarRecommender.Api.Admin;
using CarRecommender.Api.Auth;
using CarRecommender.Core.Domain;
using Microsoft.AspNetCore.Http.HttpResults;
using RabbitMQ.Client;

namespace CarRecommender.Api.Endpoints;

/// <summary>The query of <c>GET /api/admin/listings</c> (values as strings, so every bad one gets a message naming it).</summary>
public sealed record AdminListingQuery(string? Q, string? BodyType, string? Fuel, string? Status, string? MaxPrice, string? MinYear, string? Page,
    string? PageSize);

/// <summary>
/// What the admin console reads and shows: counts, queues, model versions, a user's vectors and history, the listing
/// grid and a listing's vector, samples of the vector space. The console has no database or broker connection of its
/// own; it reads all of this here, with the signed-in operator's token.
/// </summary>
public static class AdminConsoleEndpoints
{
    public const int MaxVectorIds = 200;

    public static IEndpointRouteBuilder MapAdminConsoleEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/admin").WithTags("Admin").RequireAuthorization(AuthSetup.AdminPolicy);
        group.MapGet("/overview", Overview).WithName("AdminOverview")
            .WithSummary("Listings by status, users, today's events, the outbox, click-through and dead letters, counted at most every 10 s (admin only)");
        group.MapGet("/events-per-minute", EventsPerMinute).WithName("AdminEventsPerMinute")
            .WithSummary("Events recorded per minute over the last ?minutes= (default 60, at most 1440), empty minutes as 0 (admin only)");
        group.MapGet("/queues", Queues).WithName("AdminQueues")
            .WithSummary("Messages and consumers of the pipelines', the jobs' and their dead-letter queues (admin only)");
        group.MapGet("/models", Models).WithName("AdminModelVersions")
            .WithSummary("The newest ALS model versions (?limit=, default 10): settings, timings, loss per iteration, self-tuning trials (admin only)");
        group.MapGet("/price-models", PriceModels).WithName("AdminPriceModels")
            .WithSummary("Per market (currency): the active price model's cross-validated metrics against the group-median baseline, its versions and the listings by deal rating (admin only)");
        group.MapGet("/users/{id}/detail", UserDetail).WithName("AdminUserDetail")
            .WithSummary("A user with their content and latent vectors and their events counted by type (admin only)");
        group.MapGet("/users/{id}/timeline", Timeline).WithName("AdminUserTimeline")
            .WithSummary("A user's events per day and type over the last ?days= (default 30) (admin only)");
        group.MapGet("/users/{id}/interactions", Interactions).WithName("AdminUserInteractions")
            .WithSummary("A user's latest events (?limit=, default 50), newest first, with the listing and whether a recommendation led there (admin only)");
        group.MapGet("/listings", Listings).WithName("AdminListListings")
            .WithSummary("Listings of every status, newest first, with counters: ?q= make, model or id, ?bodyType=, ?fuel=, ?status=, ?maxPrice=, "
                + "?minYear=, ?page= (from 1), ?pageSize=; totals counted up to 10,000 (admin only)");
        group.MapGet("/listings/{id}", ListingDetail).WithName("AdminListingDetail")
            .WithSummary("A listing with its content vector, whether ALS has factors for it, and its event count (admin only)");
        group.MapGet("/vectors/sample", VectorSample).WithName("AdminVectorSample")
            .WithSummary("A random sample (?size=, default 1000) of active listings' content vectors, for the vector-space plot (admin only)");
        group.MapGet("/vectors/listings", ListingVectors).WithName("AdminListingVectors")
            .WithSummary("Content vectors of the listings named by ?ids=1,2,3 (at most 200) (admin only)");
        return app;
    }

    private static async Task<Ok<OverviewDto>> Overview(OverviewCache overview, CancellationToken ct) => TypedResults.Ok(await overview.GetAsync(ct));

    private static async Task<Results<Ok<List<MinuteCountDto>>, ValidationProblem>> EventsPerMinute(string? minutes, AdminQueries queries, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        var n = AdminEndpoints.PositiveInt(minutes, "minutes", 1, 1440, 60, errors);
        return errors.Count > 0 ? TypedResults.ValidationProblem(errors) : TypedResults.Ok(await queries.EventsPerMinuteAsync(n, ct));
    }

    private static async Task<Ok<List<QueueDepthDto>>> Queues(IConnection connection, CancellationToken ct) =>
        TypedResults.Ok(await QueueDepths.GetAsync(connection, ct));

    private static async Task<Results<Ok<List<ModelVersionDto>>, ValidationProblem>> Models(string? limit, AdminQueries queries, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        var n = AdminEndpoints.PositiveInt(limit, "limit", 1, 100, 10, errors);
        return errors.Count > 0 ? TypedResults.ValidationProblem(errors) : TypedResults.Ok(await queries.ModelVersionsAsync(n, ct));
    }

    private static async Task<Ok<List<PriceMarketDto>>> PriceModels(Npgsql.NpgsqlDataSource dataSource, CancellationToken ct) =>
        TypedResults.Ok(await PriceModelQueries.MarketsAsync(dataSource, ct));

    private static async Task<Results<Ok<AdminUserDetailDto>, ValidationProblem, NotFound>> UserDetail(string id, AdminQueries queries, CancellationToken ct)
    {
        if (!ListingEndpoints.TryParseId(id, out var userId, out var problem)) return problem;
        return await queries.UserAsync(userId, ct) is { } user ? TypedResults.Ok(user) : TypedResults.NotFound();
    }

    private static async Task<Results<Ok<List<TimelineDayDto>>, ValidationProblem>> Timeline(string id, string? days, AdminQueries queries, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        var n = AdminEndpoints.PositiveInt(days, "days", 1, 365, 30, errors);
        if (!ListingEndpoints.TryParseId(id, out var userId, out var problem)) return problem;
        return errors.Count > 0 ? TypedResults.ValidationProblem(errors) : TypedResults.Ok(await queries.TimelineAsync(userId, n, ct));
    }

    private static async Task<Results<Ok<List<UserInteractionDto>>, ValidationProblem>> Interactions(string id, string? limit, AdminQueries queries,
        CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        var n = AdminEndpoints.PositiveInt(limit, "limit", 1, 500, 50, errors);
        if (!ListingEndpoints.TryParseId(id, out var userId, out var problem)) return problem;
        return errors.Count > 0 ? TypedResults.ValidationProblem(errors) : TypedResults.Ok(await queries.RecentInteractionsAsync(userId, n, ct));
    }

    private static async Task<Results<Ok<CappedPageDto<AdminListingDto>>, ValidationProblem>> Listings([AsParameters] AdminListingQuery query,
        AdminQueries queries, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        var page = AdminEndpoints.PositiveInt(query.Page, "page", 1, 100_000, 1, errors);
        var size = AdminEndpoints.PositiveInt(query.PageSize, "pageSize", 1, 100, 25, errors);
        var filter = new ListingGridFilter(
            query.Q is { Length: > 100 } ? null : query.Q,
            ParseEnum<BodyType>(query.BodyType, "bodyType", errors),
            ParseEnum<FuelType>(query.Fuel, "fuel", errors),
            ParseEnum<ListingStatus>(query.Status, "status", errors),
            query.MaxPrice is null ? null : AdminEndpoints.PositiveInt(query.MaxPrice, "maxPrice", 0, int.MaxValue, 0, errors),
            query.MinYear is null ? null : AdminEndpoints.PositiveInt(query.MinYear, "minYear", 1900, 2100, 0, errors));
        if (query.Q is { Length: > 100 }) errors["q"] = ["q is longer than 100 characters."];
        return errors.Count > 0 ? TypedResults.ValidationProblem(errors) : TypedResults.Ok(await queries.ListingsAsync(filter, page, size, ct));
    }

    private static async Task<Results<Ok<AdminListingDetailDto>, ValidationProblem, NotFound>> ListingDetail(string id, AdminQueries queries,
        CancellationToken ct)
    {
        if (!ListingEndpoints.TryParseId(id, out var listingId, out var problem)) return problem;
        return await queries.ListingAsync(listingId, ct) is { } listing ? TypedResults.Ok(listing) : TypedResults.NotFound();
    }

    private static async Task<Results<Ok<List<VectorPointDto>>, ValidationProblem>> VectorSample(string? size, AdminQueries queries, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        var n = AdminEndpoints.PositiveInt(size, "size", 1, 5_000, 1_000, errors);
        return errors.Count > 0 ? TypedResults.ValidationProblem(errors) : TypedResults.Ok(await queries.SampleListingVectorsAsync(n, ct));
    }

    private static async Task<Results<Ok<List<VectorPointDto>>, ValidationProblem>> ListingVectors(string? ids, AdminQueries queries, CancellationToken ct)
    {
        var parsed = new List<long>();
        foreach (var part in (ids ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!long.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var id) || id <= 0 || parsed.Count == MaxVectorIds)
                return TypedResults.ValidationProblem(new Dictionary<string, string[]>
                {
                    ["ids"] = [$"ids must be up to {MaxVectorIds} listing ids (positive whole numbers) separated by commas."],
                });
            parsed.Add(id);
        }
        return TypedResults.Ok(parsed.Count == 0 ? [] : await queries.ListingVectorsAsync(parsed, ct));
    }

    /// <summary>An enum value by name (any case); numbers and unknown names are refused with the accepted names.</summary>
    private static T? ParseEnum<T>(string? raw, string name, Dictionary<string, string[]> errors) where T : struct, Enum
    {
        if (string.IsNullOrWhiteSpace(raw)) return null;
        if (!raw.Trim().All(char.IsAsciiDigit) && Enum.TryParse<T>(raw.Trim(), ignoreCase: true, out var value) && Enum.IsDefined(value)) return value;
        errors[name] = [$"{name} must be one of {string.Join(", ", Enum.GetNames<T>())}."];
        return null;
    }
}
