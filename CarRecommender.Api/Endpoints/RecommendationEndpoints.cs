using System.Globalization;
using CarRecommender.Api.Auth;
using CarRecommender.Api.Recommendations;
using CarRecommender.Core.Recommendation.Store;
using CarRecommender.Core.Search;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CarRecommender.Api.Endpoints;

public static class RecommendationEndpoints
{
    public static IEndpointRouteBuilder MapRecommendationEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/users/me/recommendations", Mine).WithTags("Recommendations").RequireAuthorization()
            .WithName("MyRecommendations")
            .WithSummary("Personal recommendations: hybrid of content and collaborative vectors, diversified, each with a reason; " +
                         "takes the listing-search filters and exclude= (listing ids to leave out); each item's explanation names the business rules that shaped it");
        app.MapGet("/api/admin/users/{id}/recommendations", ForUser).WithTags("Admin").RequireAuthorization(AuthSetup.AdminPolicy)
            .WithName("AdminUserRecommendations")
            .WithSummary("Any user's recommendations as they would see them (their experiment variant, the same filters), not recorded as served (admin only)");
        return app;
    }

    private static async Task<Results<Ok<RecommendationsDto>, ValidationProblem, NotFound>> Mine(
        [AsParameters] RecommendationQuery query, HttpContext http, RecommendationService service, CancellationToken ct) =>
        await ServeAsync(http.User.UserId(), query, service, served: true, ct);

    private static async Task<Results<Ok<RecommendationsDto>, ValidationProblem, NotFound>> ForUser(
        string id, [AsParameters] RecommendationQuery query, RecommendationService service, CancellationToken ct)
    {
        if (!ListingEndpoints.TryParseId(id, out var userId, out var problem)) return problem;
        return await ServeAsync(userId, query, service, served: false, ct);
    }

    private static async Task<Results<Ok<RecommendationsDto>, ValidationProblem, NotFound>> ServeAsync(
        long userId, RecommendationQuery query, RecommendationService service, bool served, CancellationToken ct)
    {
        var errors = query.Parse(out var filter, out var limit, out var exclude);
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);
        var result = await service.GetAsync(userId, filter, limit, exclude, served, ct);
        return result is null ? TypedResults.NotFound() : TypedResults.Ok(result);
    }
}
