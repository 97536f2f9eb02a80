using System.Collections.Concurrent;
using CarRecommender.Core.Data;
using CarRecommender.Core.Domain;
using Microsoft.AspNetCore.Authorization;
using Microsoft.EntityFrameworkCore;

namespace CarRecommender.Api.Auth;

/// <summary>The admin policy's second half: the token says Admin, and the database still does (not demoted, not locked).</summary>
public sealed class CurrentAdminRequirement : IAuthorizationRequirement;

/// <summary>
/// Re-checks an admin token's user in the database, remembered for <see cref="Recheck"/>: a demoted or locked operator
/// loses the admin endpoints within that time although their token has hours left.
/// </summary>
public sealed class CurrentAdminHandler(IServiceScopeFactory scopes, TimeProvider time) : AuthorizationHandler<CurrentAdminRequirement>
{
    public static readonly TimeSpan Recheck = TimeSpan.FromSeconds(30);
    private readonly ConcurrentDictionary<long, (bool Admin, DateTimeOffset CheckedAt)> _seen = new();

    protected override async Task HandleRequirementAsync(AuthorizationHandlerContext context, CurrentAdminRequirement requirement)
    {
        if (!long.TryParse(context.User.FindFirst(Microsoft.IdentityModel.JsonWebTokens.JwtRegisteredClaimNames.Sub)?.Value, out var userId)) return;
        var now = time.GetUtcNow();
        if (!_seen.TryGetValue(userId, out var seen) || now - seen.CheckedAt > Recheck)
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<CarRecommenderDb>();
            var user = await db.Users.AsNoTracking().Where(u => u.Id == userId).Select(u => new { u.Role, u.LockedUntil }).SingleOrDefaultAsync();
            seen = (user is not null && user.Role == UserRole.Admin && (user.LockedUntil is null || user.LockedUntil <= now), now);
            _seen[userId] = seen;
        }
        if (seen.Admin) context.Succeed(requirement);
    }
}
