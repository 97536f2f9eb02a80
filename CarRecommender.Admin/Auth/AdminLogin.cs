using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Security.Claims;
using System.Text.Json;
using CarRecommender.Core.Domain;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;

namespace CarRecommender.Admin.Auth;

public enum LoginOutcome { SignedIn, Refused, Unavailable }

/// <summary>
/// Signs operators in through the API (<c>POST /api/auth/sign-in</c>): each admin has their own password, hashed and
/// checked by the API, which locks an account after repeated failures. The console keeps the admin's token in its
/// (encrypted) cookie and calls the API with it; it holds no signing key and cannot act as anyone else. One message for
/// every refusal, so the form does not tell which e-mails exist.
/// </summary>
public sealed class AdminLogin(HttpClient http, ILogger<AdminLogin> logger)
{
    public const string AccessTokenClaim = "access_token";
    public const string AccessTokenExpiresClaim = "access_token_expires";

    private sealed record TokenResponse(string AccessToken, DateTimeOffset ExpiresAt, long UserId, string Role);

    public async Task<LoginOutcome> SignInAsync(HttpContext context, string? email, string? password, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(email) || string.IsNullOrEmpty(password)) return LoginOutcome.Refused;
        HttpResponseMessage response;
        try
        {
            response = await http.PostAsJsonAsync("/api/auth/sign-in", new { email = email.Trim(), password }, ct);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            logger.LogWarning("Sign-in could not reach the API: {Message}", ex.Message);
            return LoginOutcome.Unavailable;
        }
        using (response)
        {
            if (response.StatusCode is HttpStatusCode.ServiceUnavailable or HttpStatusCode.BadGateway or HttpStatusCode.GatewayTimeout)
                return LoginOutcome.Unavailable;
            if (!response.IsSuccessStatusCode)
            {
                logger.LogWarning("Refused an admin console sign-in ({Status})", (int)response.StatusCode);
                return LoginOutcome.Refused;
            }
            var token = await response.Content.ReadFromJsonAsync<TokenResponse>(new JsonSerializerOptions(JsonSerializerDefaults.Web), ct);
            if (token is null || token.Role != nameof(UserRole.Admin))
            {
                logger.LogWarning("Refused an admin console sign-in: not an administrator");
                return LoginOutcome.Refused;
            }
            var identity = new ClaimsIdentity(
            [
                new Claim(ClaimTypes.NameIdentifier, token.UserId.ToString(CultureInfo.InvariantCulture)),
                new Claim(ClaimTypes.Name, email.Trim()),
                new Claim(ClaimTypes.Email, email.Trim().ToLowerInvariant()),
                new Claim(ClaimTypes.Role, nameof(UserRole.Admin)),
                new Claim(AccessTokenClaim, token.AccessToken),
                new Claim(AccessTokenExpiresClaim, token.ExpiresAt.ToString("O", CultureInfo.InvariantCulture)),
            ], CookieAuthenticationDefaults.AuthenticationScheme);
            await context.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, new ClaimsPrincipal(identity),
                new AuthenticationProperties { ExpiresUtc = token.ExpiresAt, IsPersistent = false });
            return LoginOutcome.SignedIn;
        }
    }

    /// <summary>Whether the signed-in operator is still an Admin and not locked, as the API reads them now; null when the API does not say.</summary>
    public async Task<bool?> StillAdminAsync(ClaimsPrincipal principal, long userId, CancellationToken ct)
    {
        if (principal.FindFirstValue(AccessTokenClaim) is not { } token) return false;
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/api/auth/session", UriKind.Relative));
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        try
        {
            using var response = await http.SendAsync(request, ct);
            if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden or HttpStatusCode.NotFound) return false;
            if (!response.IsSuccessStatusCode) return null;
            var session = await response.Content.ReadFromJsonAsync<SessionDto>(new JsonSerializerOptions(JsonSerializerDefaults.Web), ct);
            return session is not null && session.UserId == userId && session.Role == nameof(UserRole.Admin) && !session.Locked;
        }
        catch (Exception ex) when (ex is HttpRequestException or JsonException || ex is TaskCanceledException && !ct.IsCancellationRequested)
        {
            return null;
        }
    }
}
