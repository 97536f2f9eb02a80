using System.Globalization;
using System.Security.Claims;
using CarRecommender.Core.Data;
using CarRecommender.Core.Domain;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server;
using Microsoft.EntityFrameworkCore;

namespace CarRecommender.Admin.Auth;

/// <summary>
/// The role is re-checked, not trusted for the cookie's life: on every request (the cookie's validation) and every
/// minute in an open console (the circuit's revalidation), the operator must still be an Admin, not locked, with an
/// unexpired API token; otherwise the session ends.
/// </summary>
public static class AdminSessionCheck
{
    public static async Task<bool> StillAdminAsync(IServiceProvider services, ClaimsPrincipal principal, CancellationToken ct)
    {
        if (!long.TryParse(principal.FindFirstValue(ClaimTypes.NameIdentifier), NumberStyles.None, CultureInfo.InvariantCulture, out var userId)) return false;
        var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
        if (!AdminIdentity.TokenValid(principal, now)) return false;
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CarRecommenderDb>();
        try
        {
            var user = await db.Users.AsNoTracking().Where(u => u.Id == userId).Select(u => new { u.Role, u.LockedUntil }).SingleOrDefaultAsync(ct);
            return user is not null && user.Role == UserRole.Admin && (user.LockedUntil is null || user.LockedUntil <= now);
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or InvalidOperationException or TimeoutException)
        {
            // the database is away: keep the session (the pages show the outage); the next check decides
            return true;
        }
    }

    public static async Task ValidateCookieAsync(CookieValidatePrincipalContext context)
    {
        if (context.Principal is null || !await StillAdminAsync(context.HttpContext.RequestServices, context.Principal, context.HttpContext.RequestAborted))
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        }
    }
}

/// <summary>The open console's side of <see cref="AdminSessionCheck"/>: every minute, the circuit's user is checked again.</summary>
public sealed class AdminRevalidation(ILoggerFactory loggerFactory, IServiceProvider services)
    : RevalidatingServerAuthenticationStateProvider(loggerFactory)
{
    protected override TimeSpan RevalidationInterval => TimeSpan.FromMinutes(1);

    protected override Task<bool> ValidateAuthenticationStateAsync(AuthenticationState authenticationState, CancellationToken cancellationToken) =>
        AdminSessionCheck.StillAdminAsync(services, authenticationState.User, cancellationToken);
}
