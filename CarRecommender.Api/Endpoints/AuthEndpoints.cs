using CarRecommender.Api.Auth;
using CarRecommender.Auth;
using CarRecommender.Core.Data;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace CarRecommender.Api.Endpoints;

public sealed record TokenRequest(string? Email);
public sealed record TokenResponse(string AccessToken, string TokenType, DateTimeOffset ExpiresAt, long UserId, string Role);

public static class AuthEndpoints
{
    public static IEndpointRouteBuilder MapAuthEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/auth").WithTags("Auth");
        group.MapPost("/token", CreateToken)
            .WithName("CreateToken")
            .WithSummary("A signed JWT for a seeded user, by e-mail (demo only: off outside Development unless Auth:DemoTokens is true)")
            .RequireRateLimiting(AuthSetup.TokenRateLimit)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);
        return app;
    }

    private static async Task<Results<Ok<TokenResponse>, ValidationProblem, ProblemHttpResult>> CreateToken(
        TokenRequest? request, AuthOptions options, TokenIssuer issuer, CarRecommenderDb db, CancellationToken ct)
    {
        if (options.DemoTokens != true)
            return TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Demo tokens are disabled",
                detail: "This endpoint only works in Development or with Auth:DemoTokens=true.");
        var email = request?.Email?.Trim();
        if (string.IsNullOrEmpty(email) || email.Length > 254 || !email.Contains('@', StringComparison.Ordinal) || email.Any(char.IsControl))
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["email"] = ["A valid e-mail address is required."] });

        var user = await db.Users.AsNoTracking().SingleOrDefaultAsync(u => u.Email == email.ToLowerInvariant(), ct);
        if (user is null)
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown user",
                detail: $"No user has the e-mail '{email}'.");
        var (token, expires) = issuer.Issue(user);
        return TypedResults.Ok(new TokenResponse(token, "Bearer", expires, user.Id, user.Role.ToString()));
    }
}
