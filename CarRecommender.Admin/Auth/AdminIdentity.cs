using System.Globalization;
using System.Security.Claims;

namespace CarRecommender.Admin.Auth;

/// <summary>The signed-in operator (an Admin-role user) and their API token, read from the console's authentication cookie.</summary>
public sealed record AdminIdentity(long UserId, string Email, string? AccessToken)
{
    public static AdminIdentity From(ClaimsPrincipal principal) => new(
        long.Parse(principal.FindFirstValue(ClaimTypes.NameIdentifier) ?? throw new InvalidOperationException("not signed in"), CultureInfo.InvariantCulture),
        principal.FindFirstValue(ClaimTypes.Email) ?? "",
        principal.FindFirstValue(AdminLogin.AccessTokenClaim));

    /// <summary>Whether the principal's session is still good: its API token unexpired.</summary>
    public static bool TokenValid(ClaimsPrincipal principal, DateTimeOffset now) =>
        DateTimeOffset.TryParse(principal.FindFirstValue(AdminLogin.AccessTokenExpiresClaim), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var expires)
        && expires > now;
}
