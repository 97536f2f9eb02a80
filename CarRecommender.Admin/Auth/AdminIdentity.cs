using System.Globalization;
using System.Security.Claims;

namespace CarRecommender.Admin.Auth;

/// <summary>The signed-in operator (an Admin-role user), read from the console's authentication cookie.</summary>
public sealed record AdminIdentity(long UserId, string Email)
{
    public static AdminIdentity From(ClaimsPrincipal principal) => new(
        long.Parse(principal.FindFirstValue(ClaimTypes.NameIdentifier) ?? throw new InvalidOperationException("not signed in"), CultureInfo.InvariantCulture),
        principal.FindFirstValue(ClaimTypes.Email) ?? "");
}
