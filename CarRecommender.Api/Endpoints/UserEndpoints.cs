using CarRecommender.Api.Auth;
using CarRecommender.Core.Data;
using CarRecommender.Core.Domain;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace CarRecommender.Api.Endpoints;

public sealed record InteractionCountsDto(int Views, int Saves, int Unsaves, int Shares, int Contacts, int Dismisses, int Total);

public sealed record UserProfileDto(
    long Id, string Email, string DisplayName, string Role, string? City, DateTimeOffset CreatedAt,
    InteractionCountsDto Interactions, bool HasContentVector, bool HasLatentVector, DateTimeOffset? VectorsUpdatedAt);

public static class UserEndpoints
{
    public static IEndpointRouteBuilder MapUserEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/users").WithTags("Users").RequireAuthorization();
        group.MapGet("/me", Me).WithName("GetMe").WithSummary("The caller's profile with counts of their interactions");
        return app;
    }

    private static async Task<Results<Ok<UserProfileDto>, NotFound>> Me(HttpContext http, CarRecommenderDb db, CancellationToken ct)
    {
        var profile = await ProfileAsync(db, http.User.UserId(), ct);
        return profile is null ? TypedResults.NotFound() : TypedResults.Ok(profile);
    }

    internal static async Task<UserProfileDto?> ProfileAsync(CarRecommenderDb db, long userId, CancellationToken ct)
    {
        var user = await db.Users.AsNoTracking().SingleOrDefaultAsync(u => u.Id == userId, ct);
        if (user is null) return null;
        var counts = await db.Interactions.Where(i => i.UserId == userId)
            .GroupBy(i => i.Type).Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(x => x.Key, x => x.Count, ct);
        int C(InteractionType t) => counts.GetValueOrDefault(t);
        return new UserProfileDto(user.Id, user.Email, user.DisplayName, user.Role.ToString(), user.City, user.CreatedAt,
            new InteractionCountsDto(C(InteractionType.View), C(InteractionType.Save), C(InteractionType.Unsave), C(InteractionType.Share),
                C(InteractionType.Contact), C(InteractionType.Dismiss), counts.Values.Sum()),
            user.ContentVector is not null, user.LatentVector is not null, user.VectorsUpdatedAt);
    }
}
