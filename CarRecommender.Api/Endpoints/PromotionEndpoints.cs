using CarRecommender.Api.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace CarRecommender.Api.Endpoints;

/// <summary>The body of <c>PUT /api/admin/listings/{id}/promotion</c> (a missing time reads as null, and is refused).</summary>
public sealed record PromotionInput(DateTimeOffset? Until);

/// <summary>
/// Promoted listings (admin): a paid placement with an expiry. Lists made before a promotion starts or ends are ranked
/// afresh on their next read (<see cref="Core.Recommendation.Store.RecommendationStore"/>), so a promotion shows at once
/// and never outlives its expiry.
/// </summary>
public static class PromotionEndpoints
{
    /// <summary>The longest promotion one call sets.</summary>
    public static readonly TimeSpan MaxPromotion = TimeSpan.FromDays(366);

    public static IEndpointRouteBuilder MapPromotionEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/admin/listings/{id}/promotion").WithTags("Admin").RequireAuthorization(AuthSetup.AdminPolicy);
        group.MapPut("/", Set).WithName("PromoteListing")
            .WithSummary("Promotes an active listing until a time (at most a year ahead): it may fill a promoted slot in lists, marked as promoted");
        group.MapDelete("/", End).WithName("EndListingPromotion").WithSummary("Ends a listing's promotion now");
        return app;
    }

    private static async Task<Results<Ok<PromotionDto>, ValidationProblem, NotFound, ProblemHttpResult>> Set(
        string id, PromotionInput? input, NpgsqlDataSource dataSource, TimeProvider time, HttpContext http, ILoggerFactory logs, CancellationToken ct)
    {
        if (!ListingEndpoints.TryParseId(id, out var listingId, out var problem)) return problem;
        var now = time.GetUtcNow();
        if (input?.Until is not { } until || until <= now || until - now > MaxPromotion)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["until"] = [$"until must be a time in the future and at most {MaxPromotion.TotalDays:0} days ahead (ISO 8601, e.g. {now.AddDays(7):yyyy-MM-ddTHH:mm:ssZ})."],
            });
        await using var cmd = dataSource.CreateCommand("""
            UPDATE listings SET promoted_until = $2, promoted_at = $3 WHERE id = $1 AND status = 'Active' RETURNING id
            """);
        cmd.Parameters.AddWithValue(listingId);
        cmd.Parameters.AddWithValue(until.ToUniversalTime());
        cmd.Parameters.AddWithValue(now);
        if (await cmd.ExecuteScalarAsync(ct) is null)
            return await ExistsAsync(dataSource, listingId, ct)
                ? TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Listing not active",
                    detail: $"Listing {listingId} is sold or withdrawn; only an active listing can be promoted.")
                : TypedResults.NotFound();
        logs.CreateLogger("CarRecommender.Api.Promotions").LogInformation("{Operator} promoted listing {ListingId} until {Until:O}",
            http.User.OperatorName(), listingId, until);
        return TypedResults.Ok(new PromotionDto(listingId, until.ToUniversalTime()));
    }

    private static async Task<Results<NoContent, ValidationProblem, NotFound>> End(
        string id, NpgsqlDataSource dataSource, TimeProvider time, CancellationToken ct)
    {
        if (!ListingEndpoints.TryParseId(id, out var listingId, out var problem)) return problem;
        // ended now rather than cleared: a stored list made while it was promoted sees the promotion end after it was made
        await using var cmd = dataSource.CreateCommand("UPDATE listings SET promoted_until = CASE WHEN promoted_until > $2 THEN $2 ELSE promoted_until END WHERE id = $1 RETURNING id");
        cmd.Parameters.AddWithValue(listingId);
        cmd.Parameters.AddWithValue(time.GetUtcNow());
        return await cmd.ExecuteScalarAsync(ct) is null ? TypedResults.NotFound() : TypedResults.NoContent();
    }

    private static async Task<bool> ExistsAsync(NpgsqlDataSource dataSource, long id, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand("SELECT EXISTS (SELECT 1 FROM listings WHERE id = $1)");
        cmd.Parameters.AddWithValue(id);
        return (bool)(await cmd.ExecuteScalarAsync(ct))!;
    }
}
