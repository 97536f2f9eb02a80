using CarRecommender.Api.Auth;
using CarRecommender.Auth;
using CarRecommender.Core.Data;
using CarRecommender.Core.Domain;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace CarRecommender.Api.Endpoints;

public sealed record InteractionCountsDto(int Views, int Saves, int Unsaves, int Shares, int Contacts, int Dismisses, int Total);

public sealed record UserProfileDto(
    long Id, string Email, string DisplayName, string Role, string? City, DateTimeOffset CreatedAt,
    InteractionCountsDto Interactions, bool HasContentVector, bool HasLatentVector, DateTimeOffset? VectorsUpdatedAt);

public static partial class UserEndpoints
{
    public static IEndpointRouteBuilder MapUserEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/users").WithTags("Users").RequireAuthorization();
        group.MapGet("/me", Me).WithName("GetMe").WithSummary("The caller's profile with counts of their interactions");
        group.MapPost("", Create).AllowAnonymous()
            .WithName("CreateUser")
            .WithSummary("Creates a user: an Admin creates any role (an Admin with a password of 12+ characters); without a token it is "
                         + "Development's sign-up (Auth:DemoTokens), of a User without a password")
            .RequireRateLimiting(AuthSetup.SignUpRateLimit)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);
        return app;
    }

    public sealed record CreateUserRequest(string? Email, string? DisplayName, string? City, string? Role, string? Password);

    public const int MinAdminPasswordLength = 12;

    private static async Task<Results<Created<UserProfileDto>, ValidationProblem, ProblemHttpResult>> Create(
        CreateUserRequest? request, HttpContext http, IAuthorizationService authorization, AuthOptions auth, UserAccounts accounts,
        CarRecommenderDb db, ILoggerFactory loggers, CancellationToken ct)
    {
        var signedIn = http.User.Identity?.IsAuthenticated == true;
        if (!signedIn && http.Request.Headers.Authorization.Count > 0)
            return Problem(StatusCodes.Status401Unauthorized, "Token refused",
                "The bearer token was not accepted (expired, or not signed by a known issuer). Sign in again, or send no token to sign up.");
        if (signedIn && !(await authorization.AuthorizeAsync(http.User, AuthSetup.AdminPolicy)).Succeeded)
            return Problem(StatusCodes.Status403Forbidden, "Operators only", "Only an Admin creates users for others.");
        if (!signedIn && auth.DemoTokens != true)
            return Problem(StatusCodes.Status403Forbidden, "Sign-up is closed",
                "Creating a user without a token is the demo sign-up of Development (or Auth:DemoTokens=true). Marketplace users are created "
                + "on their first request with the marketplace identity provider's token; an Admin creates the others.");

        var errors = new Dictionary<string, string[]>();
        var email = UserAccounts.NormaliseEmail(request?.Email);
        if (email is null) errors["email"] = [$"A plain e-mail address of at most {UserAccounts.MaxEmailLength} characters is required."];
        if (!UserAccounts.TryCleanText(request?.DisplayName, UserAccounts.MaxDisplayNameLength, out var displayName))
            errors["displayName"] = [$"At most {UserAccounts.MaxDisplayNameLength} characters, without control characters."];
        if (!UserAccounts.TryCleanText(request?.City, UserAccounts.MaxCityLength, out var city))
            errors["city"] = [$"At most {UserAccounts.MaxCityLength} characters, without control characters."];
        UserRole? role = UserRole.User;
        if (request?.Role is { } roleName)
        {
            role = Enum.GetNames<UserRole>().FirstOrDefault(n => n.Equals(roleName.Trim(), StringComparison.OrdinalIgnoreCase)) is { } name
                ? Enum.Parse<UserRole>(name)
                : null;
            if (role is null) errors["role"] = [$"'{roleName}' is not a role; one of: {string.Join(", ", Enum.GetNames<UserRole>())}."];
        }
        var password = request?.Password;
        if (role == UserRole.Admin && (password is null || password.Length < MinAdminPasswordLength || password.Length > 1000))
            errors["password"] = [$"An Admin signs in with a password: {MinAdminPasswordLength} to 1,000 characters."];
        else if (role == UserRole.User && password is not null)
            errors["password"] = ["Only an Admin has a password; marketplace users sign in through the marketplace's identity provider."];
        if (errors.Count > 0 || email is null || role is null) return TypedResults.ValidationProblem(errors);
        if (!signedIn && role != UserRole.User)
            return Problem(StatusCodes.Status403Forbidden, "Sign-up creates users only", $"Without a token only the role User can be created; an Admin creates {role} accounts.");

        // the unique index decides: two requests for one e-mail get one user and one 409
        var id = await accounts.TryInsertAsync(new NewUser(email, displayName ?? email[..email.IndexOf('@', StringComparison.Ordinal)], role.Value, city,
            password is null ? null : PasswordSignIn.Hash(password)), ct);
        if (id is null)
            return Problem(StatusCodes.Status409Conflict, "E-mail already in use",
                $"A user with the e-mail '{email}' exists already. An Admin finds them with GET /api/admin/users?q={Uri.EscapeDataString(email)}.");
        LogCreated(loggers.CreateLogger(typeof(UserEndpoints)), id.Value, role.Value, signedIn ? "admin " + http.User.UserId() : "sign-up");
        return TypedResults.Created($"/api/admin/users/{id}", await ProfileAsync(db, id.Value, ct));
    }

    private static ProblemHttpResult Problem(int status, string title, string detail) =>
        TypedResults.Problem(statusCode: status, title: title, detail: detail);

    [LoggerMessage(EventId = 1013, Level = LogLevel.Information, Message = "Created user {UserId} ({Role}) by {CreatedBy}")]
    private static partial void LogCreated(ILogger logger, long userId, UserRole role, string createdBy);

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
