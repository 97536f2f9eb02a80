using System.Globalization;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using CarRecommender.Core.Data;
using CarRecommender.Core.Domain;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.EntityFrameworkCore;

namespace CarRecommender.Admin.Auth;

/// <summary>Settings under <c>Admin</c>.</summary>
public sealed class AdminLoginOptions
{
    /// <summary>The console password (the AppHost's <c>admin-password</c> parameter). Empty: nobody can sign in.</summary>
    public string Password { get; set; } = "";
}

public enum LoginOutcome { SignedIn, Refused, Unavailable }

/// <summary>
/// Signs operators in: the e-mail must belong to an Admin-role user and the password must match the console
/// password. One message for every refusal, so the form does not tell which e-mails exist.
/// </summary>
public sealed class AdminLogin(CarRecommenderDb db, AdminLoginOptions options, ILogger<AdminLogin> logger)
{
    public async Task<LoginOutcome> SignInAsync(HttpContext context, string? email, string? password, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(email) || string.IsNullOrEmpty(password) || options.Password.Length == 0) return LoginOutcome.Refused;
        var normalised = email.Trim().ToLowerInvariant();
        User? user;
        try
        {
            user = await db.Users.AsNoTracking().SingleOrDefaultAsync(u => u.Email == normalised, ct);
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or InvalidOperationException or TimeoutException)
        {
            logger.LogWarning("Sign-in could not reach the database: {Message}", ex.Message);
            return LoginOutcome.Unavailable;
        }
        var passwordOk = CryptographicOperations.FixedTimeEquals(
            SHA256.HashData(Encoding.UTF8.GetBytes(password)), SHA256.HashData(Encoding.UTF8.GetBytes(options.Password)));
        if (user is null || user.Role != UserRole.Admin || !passwordOk)
        {
            logger.LogWarning("Refused an admin console sign-in");
            return LoginOutcome.Refused;
        }
        var identity = new ClaimsIdentity(
        [
            new Claim(ClaimTypes.NameIdentifier, user.Id.ToString(CultureInfo.InvariantCulture)),
            new Claim(ClaimTypes.Name, user.DisplayName),
            new Claim(ClaimTypes.Email, user.Email),
            new Claim(ClaimTypes.Role, nameof(UserRole.Admin)),
        ], CookieAuthenticationDefaults.AuthenticationScheme);
        await context.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, new ClaimsPrincipal(identity));
        return LoginOutcome.SignedIn;
    }
}
