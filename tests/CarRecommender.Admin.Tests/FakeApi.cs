using System.Net;
using System.Net.Http.Json;
using System.Security.Claims;
using Bunit;
using CarRecommender.Admin.Api;
using CarRecommender.Admin.Auth;
using Microsoft.Extensions.DependencyInjection;

namespace CarRecommender.Admin.Tests;

/// <summary>
/// The API as the console's pages see it: each request is answered by <see cref="Respond"/> (method and path with its
/// query), and every request is kept with the token and the body it carried, so a test can check what a page asked for.
/// </summary>
public sealed class FakeApi : HttpMessageHandler
{
    public const string Token = "operator-token";

    public Func<HttpMethod, string, HttpResponseMessage> Respond { get; set; } = (_, _) => new HttpResponseMessage(HttpStatusCode.NotFound);

    public List<(HttpMethod Method, string PathAndQuery, string? Token, string? Body)> Requests { get; } = [];

    public static HttpResponseMessage Json<T>(T value, HttpStatusCode status = HttpStatusCode.OK) => new(status) { Content = JsonContent.Create(value) };

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var path = request.RequestUri!.PathAndQuery;
        var body = request.Content is null ? null : await request.Content.ReadAsStringAsync(cancellationToken);
        lock (Requests) Requests.Add((request.Method, path, request.Headers.Authorization?.Parameter, body));
        return Respond(request.Method, path);
    }

    /// <summary>Registers an <see cref="ApiClient"/> over <paramref name="handler"/> and a signed-in operator whose session holds <see cref="Token"/>.</summary>
    public static void SignInAndUse(BunitContext context, HttpMessageHandler handler, string baseAddress = "http://api")
    {
        context.Services.AddSingleton(new ApiClient(new HttpClient(handler) { BaseAddress = new Uri(baseAddress) }));
        context.AddAuthorization().SetAuthorized("admin@example.com").SetRoles("Admin")
            .SetClaims(new Claim(ClaimTypes.NameIdentifier, "1"), new Claim(ClaimTypes.Email, "admin@example.com"), new Claim(AdminLogin.AccessTokenClaim, Token));
    }

    /// <summary>What the listing page needs besides <see cref="SignInAndUse"/>: the import client (its price history) and a clock.</summary>
    public static void ForListingPage(BunitContext context, FakeApi api, TimeProvider clock)
    {
        SignInAndUse(context, api);
        context.Services.AddSingleton(new ImportClient(new HttpClient(api) { BaseAddress = new Uri("http://api") }));
        context.Services.AddSingleton(clock);
    }
}
