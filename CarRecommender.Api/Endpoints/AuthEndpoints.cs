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
        group.MapPost("/sign-in", SignIn)
            .WithName("SignIn")
            .WithSummary("An operator's token for their e-mail and password (the admin console signs in here); 5 wrong passwords lock the account for 15 minutes")
            .RequireRateLimiting(AuthSetup.SignInRateLimit)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);
        group.MapGet("/session", Session).RequireAuthorization()
            .WithName("GetSession")
            .WithSummary("The caller's role and lockout as the database has them now, not as the token says (the admin console re-checks its operators here)");
        return app;
    }

    private static async Task<Results<Ok<SessionDto>, NotFound>> Session(HttpContext http, CarRecommenderDb db, TimeProvider time, CancellationToken ct)
    {
        var userId = http.User.UserId();
        var now = time.GetUtcNow();
        var user = await db.Users.AsNoTracking().Where(u => u.Id == userId).Select(u => new { u.Role, u.LockedUntil }).SingleOrDefaultAsync(ct);
        return user is null ? TypedResults.NotFound() : TypedResults.Ok(new SessionDto(userId, user.Role.ToString(), user.LockedUntil > now));
    }

    public sealed record SignInRequest(string? Email, string? Password);

    private static async Task<Results<Ok<TokenResponse>, ValidationProblem, ProblemHttpResult>> SignIn(
        SignInRequest? request, PasswordSignIn signIn, SignInOptions options, TokenIssuer issuer, CancellationToken ct)
    {
        var email = request?.Email?.Trim();
        if (string.IsNullOrEmpty(email) || email.Length > 254 || string.IsNullOrEmpty(request?.Password) || request.Password.Length > 1000)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["email"] = ["An e-mail and a password are required."] });
        var user = await signIn.SignInAsync(email, request.Password, ct);
        if (user is null)
            return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Sign-in refused",
                detail: $"The e-mail or the password is wrong, or the account is locked after {options.MaxFailures} failed sign-ins in a row (for {options.LockoutMinutes:0} minutes).");
        var (token, expires) = issuer.Issue(user.Id, user.Email, user.Role, TimeSpan.FromHours(options.TokenHours));
        return TypedResults.Ok(new TokenResponse(token, "Bearer", expires, user.Id, user.Role.ToString()));
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
