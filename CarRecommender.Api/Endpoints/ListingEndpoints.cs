using System.Globalization;
using CarRecommender.Api.Auth;
using CarRecommender.Api.Interactions;
using CarRecommender.Api.Listings;
using CarRecommender.Core.Data;
using CarRecommender.Core.Domain;
using CarRecommender.Core.Recommendation;
using CarRecommender.Core.Search;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace CarRecommender.Api.Endpoints;

public static class ListingEndpoints
{
    public const int MaxSimilar = 50;

    public static IEndpointRouteBuilder MapListingEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/listings").WithTags("Listings");
        group.MapGet("/", Search).WithName("SearchListings")
            .WithSummary("Search listings: filters, free text, radius, sort and paging (active listings unless status= says otherwise)")
            .RequireRateLimiting(AuthSetup.SearchRateLimit)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);
        group.MapGet("/{id}", GetById).WithName("GetListing")
            .WithSummary("One listing's details; an authenticated call records a view (one per user and listing within RateLimits:ViewWindowMinutes)");
        group.MapGet("/{id}/similar", Similar).WithName("SimilarListings")
            .WithSummary("\"Because you viewed\": active listings like this one, blending content similarity (pgvector HNSW) with the car-model "
                         + "\"people who viewed this also viewed\" links (Similar:ContentWeight, default 0.6), each with a score, a source and a reason");
        return app;
    }

    private static async Task<Results<Ok<ListingPageDto>, ValidationProblem>> Search(
        [AsParameters] ListingQuery query, CarRecommenderDb db, CancellationToken ct)
    {
        if (!ListingQueryParser.TryParse(query, out var filter, out var errors))
            return TypedResults.ValidationProblem(errors);
        return TypedResults.Ok(await ListingQueries.SearchAsync(db, filter, ct));
    }

    private static async Task<Results<Ok<ListingDetailDto>, ValidationProblem, NotFound>> GetById(
        string id, HttpContext http, CarRecommenderDb db, InteractionRecorder recorder, CancellationToken ct)
    {
        if (!TryParseId(id, out var listingId, out var problem)) return problem;
        var listing = await db.Listings.AsNoTracking().Include(l => l.Popularity).Include(l => l.MarketPrice).SingleOrDefaultAsync(l => l.Id == listingId, ct);
        if (listing is null) return TypedResults.NotFound();
        if (http.User.Identity?.IsAuthenticated == true)
            await recorder.RecordViewAsync(http.User.UserId(), listingId, ct);
        return TypedResults.Ok(listing.ToDetail());
    }

    private static async Task<Results<Ok<List<SimilarListingDto>>, ValidationProblem, NotFound>> Similar(
        string id, string? limit, CarRecommenderDb db, IConfiguration configuration, CancellationToken ct)
    {
        if (!TryParseId(id, out var listingId, out var problem)) return problem;
        var k = 10;
        if (limit is not null && (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out k) || k < 1 || k > MaxSimilar))
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["limit"] = [$"limit must be a whole number from 1 to {MaxSimilar}."] });
        var contentWeight = configuration.GetValue("Similar:ContentWeight", SimilarListings.DefaultContentWeight);
        var similar = await ListingQueries.SimilarAsync(db, listingId, k, contentWeight, ct);
        return similar is null ? TypedResults.NotFound() : TypedResults.Ok(similar);
    }

    internal static bool TryParseId(string raw, out long id, out ValidationProblem problem)
    {
        problem = null!;
        if (long.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out id) && id > 0) return true;
        problem = TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["id"] = [$"'{(raw.Length > 40 ? raw[..40] + "…" : raw)}' is not a listing id (a positive whole number)."] });
        return false;
    }
}
