using CarRecommender.Core.Data;
using CarRecommender.Core.Domain;
using Microsoft.EntityFrameworkCore;

namespace CarRecommender.Api.Auth;

/// <summary>
/// The first operator: <c>Admin:Email</c> and <c>Admin:Password</c> (the AppHost's admin-email and admin-password
/// parameters). At start-up that user is created as an Admin, or promoted, and given the password when it has none; a
/// password already set (by the CLI's <c>admin</c> verb, say) is never overwritten. Further operators get their own
/// credentials with that verb. Nothing happens when either setting is empty.
/// </summary>
public static partial class AdminBootstrap
{
    public static async Task EnsureBootstrapAdminAsync(this WebApplication app)
    {
        var email = app.Configuration["Admin:Email"]?.Trim().ToLowerInvariant();
        var password = app.Configuration["Admin:Password"];
        if (string.IsNullOrEmpty(email) || string.IsNullOrEmpty(password)) return;
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CarRecommenderDb>();
        var user = await db.Users.SingleOrDefaultAsync(u => u.Email == email);
        if (user is null)
        {
            user = new User { Email = email, DisplayName = "Admin", Role = UserRole.Admin, CreatedAt = DateTimeOffset.UtcNow };
            db.Users.Add(user);
        }
        if (user.Role == UserRole.Admin && user.PasswordHash is not null) return;
        user.Role = UserRole.Admin;
        user.PasswordHash ??= PasswordSignIn.Hash(password);
        await db.SaveChangesAsync();
        LogBootstrapped(app.Logger, user.Id);
    }

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "Bootstrap operator: user {UserId} is an Admin with the configured first password")]
    private static partial void LogBootstrapped(ILogger logger, long userId);
}
