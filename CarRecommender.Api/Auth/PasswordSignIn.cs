using CarRecommender.Core.Data;
using CarRecommender.Core.Domain;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace CarRecommender.Api.Auth;

/// <summary>Settings under <c>Auth:SignIn</c>.</summary>
public sealed class SignInOptions
{
    /// <summary>Failed sign-ins in a row before the account is locked.</summary>
    public int MaxFailures { get; set; } = 5;
    public double LockoutMinutes { get; set; } = 15;
    /// <summary>Lifetime of a signed-in operator's token (the console's session lasts at most this long).</summary>
    public double TokenHours { get; set; } = 8;
}

/// <summary>
/// Operators' sign-in with their own password (ASP.NET Core Identity's PBKDF2 hasher): a wrong password counts a
/// failure, <see cref="SignInOptions.MaxFailures"/> in a row lock the account for <see cref="SignInOptions.LockoutMinutes"/>,
/// a success resets the count. Every refusal looks alike to the caller (and costs one hash), so the answer does not tell
/// which e-mails exist; the endpoint is also rate-limited per client address.
/// </summary>
public sealed class PasswordSignIn(CarRecommenderDb db, SignInOptions options, TimeProvider time, ILogger<PasswordSignIn> logger)
{
    private static readonly PasswordHasher<User> Hasher = new();
    // verified against when the e-mail is unknown, so an unknown e-mail costs as much as a wrong password
    private static readonly string DecoyHash = Hasher.HashPassword(null!, Guid.NewGuid().ToString());

    public static string Hash(string password) => Hasher.HashPassword(null!, password);

    /// <summary>The user when the password matches and the account is not locked; null otherwise.</summary>
    public async Task<User?> SignInAsync(string email, string password, CancellationToken ct)
    {
        var normalised = email.Trim().ToLowerInvariant();
        var user = await db.Users.SingleOrDefaultAsync(u => u.Email == normalised, ct);
        var now = time.GetUtcNow();
        if (user?.PasswordHash is not { } hash)
        {
            Hasher.VerifyHashedPassword(null!, DecoyHash, password);
            logger.LogWarning("Refused a sign-in: no operator account with that e-mail");
            return null;
        }
        if (user.LockedUntil is { } locked && locked > now)
        {
            Hasher.VerifyHashedPassword(user, hash, password);
            logger.LogWarning("Refused a sign-in of user {UserId}: locked until {LockedUntil:O}", user.Id, locked);
            return null;
        }
        var verdict = Hasher.VerifyHashedPassword(user, hash, password);
        if (verdict == PasswordVerificationResult.Failed)
        {
            user.FailedSignIns++;
            if (user.FailedSignIns >= options.MaxFailures)
            {
                user.LockedUntil = now.AddMinutes(options.LockoutMinutes);
                user.FailedSignIns = 0;
                logger.LogWarning("User {UserId} locked for {Minutes} minutes after {Failures} failed sign-ins", user.Id, options.LockoutMinutes, options.MaxFailures);
            }
            await db.SaveChangesAsync(ct);
            return null;
        }
        if (verdict == PasswordVerificationResult.SuccessRehashNeeded) user.PasswordHash = Hash(password);
        user.FailedSignIns = 0;
        user.LockedUntil = null;
        await db.SaveChangesAsync(ct);
        return user;
    }
}
