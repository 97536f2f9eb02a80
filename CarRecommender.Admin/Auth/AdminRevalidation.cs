using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server;

namespace CarRecommender.Admin.Auth;

/// <summary>
/// The role is re-checked, not trusted for the cookie's life: on every request (the cookie's validation) and every
/// minute in an open console (the circuit's revalidation), the operator must still be an Admin, not locked, with an
/// unexpired API token; otherwise the session ends. The API answers from its database (<c>GET /api/auth/session</c>).
/// </summary>
public static class AdminSessionCheck
{
    public static async Task<bool> StillAdminAsync(IServiceProvider services, ClaimsPrincipal principal, CancellationToken ct)
    {
        if (!long.TryParse(principal.FindFirstValue(ClaimTypes.NameIdentifier), NumberStyles.None, CultureInfo.InvariantCulture, out var userId)) return false;
        var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
        if (!AdminIdentity.TokenValid(principal, now)) return false;
        await using var scope = services.CreateAsyncScope();
        // the API (or its database) away: keep the session (the pages show the outage); the next check decides
        return await scope.ServiceProvider.GetRequiredService<AdminLogin>().StillAdminAsync(principal, userId, ct) ?? true;
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
