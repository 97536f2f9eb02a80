using System.Security.Claims;
using CarRecommender.Core.Domain;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.IdentityModel.JsonWebTokens;

namespace CarRecommender.Api.Auth;

/// <summary>
/// Turns a validated token of the marketplace identity provider into one of our users, provisioning them on first sight:
/// the user is found by (<c>iss</c>, <c>sub</c>); else a local marketplace user with the token's e-mail is linked to
/// that identity; else a User is created. The principal is then replaced by one that looks like our own tokens' (the
/// local numeric id as <c>sub</c>, <c>email</c>, and the role from our database, never from the token), so nothing
/// downstream knows where the caller signed in. The mapping is remembered for <see cref="Remember"/>.
/// </summary>
public sealed partial class ExternalUsers(UserAccounts accounts, IMemoryCache cache, ExternalAuthOptions options, ILogger<ExternalUsers> logger)
{
    /// <summary>How long a (iss, sub) → user mapping is kept in memory; a role change shows in the token's principal after this.</summary>
    public static readonly TimeSpan Remember = TimeSpan.FromMinutes(5);

    private const int MaxSubjectLength = 200;

    public async Task OnTokenValidatedAsync(TokenValidatedContext context)
    {
        var token = (JsonWebToken)context.SecurityToken;
        var issuer = token.Issuer;
        var subject = token.Subject;
        if (string.IsNullOrEmpty(subject) || subject.Length > MaxSubjectLength || subject.Any(char.IsControl))
        {
            context.Fail("The identity provider's token has no usable sub claim.");
            return;
        }
        var key = (nameof(ExternalUsers), issuer, subject);
        if (!cache.TryGetValue(key, out Account? account) || account is null)
        {
            account = await FindOrProvisionAsync(issuer, subject, context.Principal!, context.HttpContext.RequestAborted);
            if (account is null)
            {
                context.Fail("The e-mail of this identity belongs to another account.");
                return;
            }
            cache.Set(key, account, Remember);
        }
        context.Principal = new ClaimsPrincipal(new ClaimsIdentity(
        [
            new Claim(JwtRegisteredClaimNames.Sub, account.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            new Claim(JwtRegisteredClaimNames.Email, account.Email),
            new Claim("role", account.Role.ToString()),
        ], context.Scheme.Name, JwtRegisteredClaimNames.Email, "role"));
    }

    private async Task<Account?> FindOrProvisionAsync(string issuer, string subject, ClaimsPrincipal token, CancellationToken ct)
    {
        var email = VerifiedEmail(token);
        var address = email ?? Placeholder(subject, issuer);
        var name = token.FindFirstValue(options.NameClaim)?.Trim();
        var displayName = Truncate(string.IsNullOrEmpty(name) || name.Any(char.IsControl) ? address[..address.IndexOf('@', StringComparison.Ordinal)] : name,
            UserAccounts.MaxDisplayNameLength);

        // Each pass loses at most one race (a concurrent first request inserting or linking this identity, or someone
        // taking the address meanwhile) and the next pass sees its winner.
        for (var pass = 0; pass < 3; pass++)
        {
            if (await accounts.FindExternalAsync(issuer, subject, ct) is { } known) return known;
            if (email is not null && await accounts.TryLinkAsync(email, issuer, subject, ct)
                && await accounts.FindExternalAsync(issuer, subject, ct) is { } linked)
            {
                LogLinked(logger, linked.Id);
                return linked;
            }
            if (await accounts.TryInsertAsync(new NewUser(address, displayName, UserRole.User, ExternalIssuer: issuer, ExternalSubject: subject), ct) is { } id)
            {
                LogProvisioned(logger, id);
                return new Account(id, address, UserRole.User);
            }
        }
        LogAddressTaken(logger, await accounts.IdByEmailAsync(address, ct));
        return null;
    }

    /// <summary>The token's e-mail, lower-cased, unless the provider says it is unverified or it is no plain address.</summary>
    private string? VerifiedEmail(ClaimsPrincipal token) =>
        string.Equals(token.FindFirstValue("email_verified"), "false", StringComparison.OrdinalIgnoreCase)
            ? null
            : UserAccounts.NormaliseEmail(token.FindFirstValue(options.EmailClaim));

    /// <summary>
    /// The stand-in address of an identity without a usable e-mail: <c>{sub}@{issuer's host}.invalid</c>. The
    /// <c>.invalid</c> top-level domain is reserved (RFC 2606), so nothing is ever sent there, and it is unique because
    /// (iss, sub) is.
    /// </summary>
    private static string Placeholder(string subject, string issuer)
    {
        var host = Uri.TryCreate(issuer, UriKind.Absolute, out var uri) && uri.Host.Length > 0 ? uri.IdnHost : "external";
        return Truncate(subject, UserAccounts.MaxEmailLength - host.Length - 9) + "@" + host.ToLowerInvariant() + ".invalid";
    }

    private static string Truncate(string text, int length) => text.Length <= length ? text : text[..length];

    [LoggerMessage(EventId = 1010, Level = LogLevel.Information, Message = "Provisioned user {UserId} for a new identity of the marketplace identity provider")]
    private static partial void LogProvisioned(ILogger logger, long userId);

    [LoggerMessage(EventId = 1011, Level = LogLevel.Information, Message = "Linked user {UserId} to an identity of the marketplace identity provider with the same e-mail")]
    private static partial void LogLinked(ILogger logger, long userId);

    [LoggerMessage(EventId = 1012, Level = LogLevel.Warning, Message = "Refused an identity of the marketplace identity provider: its e-mail belongs to user {UserId}, an operator or another identity")]
    private static partial void LogAddressTaken(ILogger logger, long? userId);
}
