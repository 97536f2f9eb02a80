using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace CarRecommender.EndToEnd.Tests;

/// <summary>
/// Users from the marketplace's own identity provider (a provider these tests run, see <see cref="TestIdentityProvider"/>)
/// and users created through <c>POST /api/users</c>, against the running system.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class IdentityTests(AppFixture fixture)
{
    private static string NewSubject() => "idp|" + Guid.NewGuid().ToString("N");

    [Fact]
    public async Task A_never_seen_subject_becomes_a_user_on_its_first_request_and_stays_that_user()
    {
        var subject = NewSubject();
        var email = $"Driver.{subject[4..12]}@Marketplace.Example";
        var token = fixture.ExternalToken(subject, email, "Ada Lovelace");
        using var http = fixture.Api(token);

        var me = await MeAsync(http);

        var id = me.GetProperty("id").GetInt64();
        Assert.Equal(email.ToLowerInvariant(), me.GetProperty("email").GetString());
        Assert.Equal("User", me.GetProperty("role").GetString());
        Assert.Equal("Ada Lovelace", me.GetProperty("displayName").GetString());
        var row = await ExternalIdentityAsync(id);
        Assert.Equal((fixture.Identity.Issuer, subject), row);
        Assert.True(fixture.Identity.KeySetReads > 0, "the API never read the provider's key set");

        // a later token of the same subject (another jti, another name) is the same user, and no second row appears
        using var again = fixture.Api(fixture.ExternalToken(subject, email, "A. Lovelace"));
        Assert.Equal(id, (await MeAsync(again)).GetProperty("id").GetInt64());
        Assert.Equal(1, await UsersWithSubjectAsync(subject));

        // provisioning is logged with the user id, and the token never is
        Assert.True(await Db.EventuallyAsync(() => Task.FromResult(fixture.ServiceLogs.Any(l => l.Message.Contains($"Provisioned user {id} ", StringComparison.Ordinal))),
            TimeSpan.FromSeconds(20)), "no provisioning line in the API's log");
        Assert.DoesNotContain(fixture.ServiceLogs, l => l.Message.Contains(token, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Ten_concurrent_first_requests_of_a_new_subject_make_exactly_one_user()
    {
        var subject = NewSubject();
        using var http = fixture.Api(fixture.ExternalToken(subject, $"{subject[4..16]}@example.com", null));

        var responses = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => http.GetAsync("/api/users/me")));

        var ids = new List<long>();
        foreach (var response in responses)
        {
            using (response)
            {
                Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                ids.Add((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64());
            }
        }
        Assert.Single(ids.Distinct());
        Assert.Equal(1, await UsersWithSubjectAsync(subject));
    }

    [Theory]
    [InlineData("signed by another RSA key")]
    [InlineData("for another audience")]
    [InlineData("expired")]
    [InlineData("HS256 with the published key set as the secret")]
    [InlineData("unsigned (alg none)")]
    [InlineData("issued in the API's own name")]
    public async Task A_token_the_provider_did_not_sign_for_this_api_is_refused(string forgery)
    {
        var subject = NewSubject();
        var idp = fixture.Identity;
        var payload = idp.Payload(subject, ("email", $"{subject[4..16]}@example.com"));
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        using var otherKey = RSA.Create(2048);
        var token = forgery switch
        {
            "signed by another RSA key" => idp.Sign(payload, otherKey),
            "for another audience" => idp.Sign(With(payload, ("aud", "another-api"))),
            "expired" => idp.Sign(With(payload, ("iat", now - 1200), ("nbf", now - 1200), ("exp", now - 600))),
            "HS256 with the published key set as the secret" => TestIdentityProvider.Compose(new { alg = "HS256", typ = "JWT", kid = TestIdentityProvider.KeyId },
                payload, data => HMACSHA256.HashData(Encoding.UTF8.GetBytes(idp.KeySet()), data)),
            "unsigned (alg none)" => TestIdentityProvider.Compose(new { alg = "none", typ = "JWT" }, payload, _ => []),
            "issued in the API's own name" => idp.Sign(With(payload, ("iss", "carrecommender"), ("aud", "carrecommender-api"))),
            _ => throw new ArgumentOutOfRangeException(nameof(forgery)),
        };
        using var http = fixture.Api(token);

        using var response = await http.GetAsync("/api/users/me");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(0, await UsersWithSubjectAsync(subject));
    }

    [Fact]
    public async Task A_role_in_the_providers_token_means_nothing_here()
    {
        var subject = NewSubject();
        var idp = fixture.Identity;
        using var http = fixture.Api(idp.Sign(idp.Payload(subject, ("email", $"{subject[4..16]}@example.com"), ("role", "Admin"), ("roles", new[] { "Admin" }),
            ("http://schemas.microsoft.com/ws/2008/06/identity/claims/role", "Admin"))));

        using var admin = await http.GetAsync("/api/admin/users");

        Assert.Equal(HttpStatusCode.Forbidden, admin.StatusCode);
        Assert.Equal("User", (await MeAsync(http)).GetProperty("role").GetString());
        var session = await http.GetFromJsonAsync<JsonElement>("/api/auth/session");
        Assert.Equal("User", session.GetProperty("role").GetString());
    }

    [Fact]
    public async Task A_local_user_with_the_tokens_email_is_linked_but_an_operator_never_is()
    {
        var email = $"local-{Guid.NewGuid():N}@example.com";
        using var admin = fixture.Api(fixture.AdminToken);
        using var created = await admin.PostAsJsonAsync("/api/users", new { email });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var localId = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();

        var subject = NewSubject();
        using (var http = fixture.Api(fixture.ExternalToken(subject, email.ToUpperInvariant(), "Linked Local")))
            Assert.Equal(localId, (await MeAsync(http)).GetProperty("id").GetInt64());
        Assert.Equal((fixture.Identity.Issuer, subject), await ExternalIdentityAsync(localId));

        // the admin's e-mail in a provider's token opens nothing: refused, and the operator account stays as it was
        var intruder = NewSubject();
        using (var http = fixture.Api(fixture.ExternalToken(intruder, AppFixture.AdminEmail, "Not The Admin")))
        using (var response = await http.GetAsync("/api/users/me"))
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var adminId = await Db.ScalarAsync<long>(await fixture.ConnectionStringAsync("carrecommender"), "SELECT id FROM users WHERE email = $1", AppFixture.AdminEmail);
        Assert.Equal((null, null), await ExternalIdentityAsync(adminId));
        Assert.Equal(0, await UsersWithSubjectAsync(intruder));
    }

    [Fact]
    public async Task An_identity_without_an_email_gets_a_placeholder_address_and_its_name_from_it()
    {
        var subject = NewSubject();
        using var http = fixture.Api(fixture.ExternalToken(subject, null, null));

        var me = await MeAsync(http);

        var host = new Uri(fixture.Identity.Issuer).Host;
        Assert.Equal($"{subject}@{host}.invalid", me.GetProperty("email").GetString());
        Assert.Equal(subject, me.GetProperty("displayName").GetString());
    }

    [Fact]
    public async Task The_keys_may_also_come_from_a_key_set_url_or_inline_and_the_identity_is_the_same_user_everywhere()
    {
        var subject = NewSubject();
        var token = fixture.ExternalToken(subject, $"{subject[4..16]}@example.com", "Everywhere");
        using var fixtureApi = fixture.Api(token);
        var id = (await MeAsync(fixtureApi)).GetProperty("id").GetInt64();

        // two more APIs on the same database: one reads the key set from its URL (no discovery), one has it inline
        var database = await fixture.ConnectionStringAsync("carrecommender");
        var messaging = await fixture.ConnectionStringAsync("messaging");
        Dictionary<string, string?> Settings(string source, string value) => new()
        {
            ["Auth__External__Issuer"] = fixture.Identity.Issuer,
            ["Auth__External__Audience"] = TestIdentityProvider.Audience,
            ["Auth__External__RequireHttpsMetadata"] = "false",
            [$"Auth__External__{source}"] = value,
        };
        Task<(ServiceProcess Process, HttpClient Http)>[] starting =
        [
            ServiceProcess.StartApiAsync(database, messaging, "Development", Settings("JwksUri", fixture.Identity.Issuer + "/jwks.json")),
            ServiceProcess.StartApiAsync(database, messaging, "Development", Settings("SigningKeys", fixture.Identity.KeySet())),
        ];
        using var otherKey = RSA.Create(2048);
        try
        {
            foreach (var (_, http) in await Task.WhenAll(starting))
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, "/api/users/me") { Headers = { Authorization = new("Bearer", token) } };
                using var response = await http.SendAsync(request);
                Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                Assert.Equal(id, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64());

                using var forged = new HttpRequestMessage(HttpMethod.Get, "/api/users/me")
                {
                    Headers = { Authorization = new("Bearer", fixture.Identity.Sign(fixture.Identity.Payload(NewSubject()), otherKey)) },
                };
                using var refused = await http.SendAsync(forged);
                Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            }
        }
        finally
        {
            foreach (var (process, http) in starting.Where(t => t.IsCompletedSuccessfully).Select(t => t.Result))
            {
                http.Dispose();
                process.Dispose();
            }
        }
        Assert.Equal(1, await UsersWithSubjectAsync(subject));
    }

    [Fact]
    public async Task An_admin_creates_a_user_who_can_then_get_a_demo_token()
    {
        var email = $"New.Shopper-{Guid.NewGuid():N}@Example.com";
        using var admin = fixture.Api(fixture.AdminToken);

        using var response = await admin.PostAsJsonAsync("/api/users", new { email, displayName = "New Shopper", city = "Leipzig" });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var user = await response.Content.ReadFromJsonAsync<JsonElement>();
        var id = user.GetProperty("id").GetInt64();
        Assert.Equal($"/api/admin/users/{id}", response.Headers.Location?.OriginalString);
        Assert.Equal(email.ToLowerInvariant(), user.GetProperty("email").GetString());
        Assert.Equal("New Shopper", user.GetProperty("displayName").GetString());
        Assert.Equal("Leipzig", user.GetProperty("city").GetString());
        Assert.Equal("User", user.GetProperty("role").GetString());
        using (var read = await admin.GetAsync($"/api/admin/users/{id}")) Assert.Equal(HttpStatusCode.OK, read.StatusCode);

        var (status, token) = await PostPastRateLimitAsync("/api/auth/token", new { email });
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(id, token.GetProperty("userId").GetInt64());
        using var shopper = fixture.Api(token.GetProperty("accessToken").GetString());
        Assert.Equal(id, (await MeAsync(shopper)).GetProperty("id").GetInt64());
    }

    [Fact]
    public async Task An_admin_creates_an_operator_only_with_a_password_of_twelve_characters_or_more()
    {
        var email = $"ops-{Guid.NewGuid():N}@example.com";
        using var admin = fixture.Api(fixture.AdminToken);

        using (var weak = await admin.PostAsJsonAsync("/api/users", new { email, role = "Admin", password = "short-pass" }))
            await AssertValidationProblemAsync(weak, "password");
        using (var none = await admin.PostAsJsonAsync("/api/users", new { email, role = "admin" }))
            await AssertValidationProblemAsync(none, "password");
        using (var created = await admin.PostAsJsonAsync("/api/users", new { email, role = "admin", password = "a-long-enough-secret" }))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            Assert.Equal("Admin", (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("role").GetString());
        }

        var (status, signedIn) = await PostPastRateLimitAsync("/api/auth/sign-in", new { email, password = "a-long-enough-secret" });
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("Admin", signedIn.GetProperty("role").GetString());
    }

    [Fact]
    public async Task A_second_user_with_an_email_in_use_is_a_conflict_even_when_both_arrive_at_once()
    {
        var email = $"twice-{Guid.NewGuid():N}@example.com";
        using var admin = fixture.Api(fixture.AdminToken);

        var responses = await Task.WhenAll(Enumerable.Range(0, 5).Select(i => admin.PostAsJsonAsync("/api/users",
            new { email = i % 2 == 0 ? email : email.ToUpperInvariant() })));

        try
        {
            Assert.Equal(1, responses.Count(r => r.StatusCode == HttpStatusCode.Created));
            Assert.Equal(4, responses.Count(r => r.StatusCode == HttpStatusCode.Conflict));
            var conflict = responses.First(r => r.StatusCode == HttpStatusCode.Conflict);
            Assert.Equal("application/problem+json", conflict.Content.Headers.ContentType?.MediaType);
            var problem = await conflict.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal(409, problem.GetProperty("status").GetInt32());
            Assert.Contains(email, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
        finally
        {
            foreach (var response in responses) response.Dispose();
        }
        Assert.Equal(1, await Db.ScalarAsync<long>(await fixture.ConnectionStringAsync("carrecommender"), "SELECT count(*) FROM users WHERE email = $1", email));
    }

    [Fact]
    public async Task Anonymous_sign_up_in_development_creates_a_user_and_never_an_operator()
    {
        using var anonymous = fixture.Api();
        var email = $"signup-{Guid.NewGuid():N}@example.com";

        using (var admin = await anonymous.PostAsJsonAsync("/api/users", new { email, role = "Admin", password = "a-long-enough-secret" }))
        {
            Assert.Equal(HttpStatusCode.Forbidden, admin.StatusCode);
            Assert.Equal("application/problem+json", admin.Content.Headers.ContentType?.MediaType);
        }
        using (var withPassword = await anonymous.PostAsJsonAsync("/api/users", new { email, password = "a-long-enough-secret" }))
            await AssertValidationProblemAsync(withPassword, "password");
        using (var created = await anonymous.PostAsJsonAsync("/api/users", new { email }))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            var user = await created.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal("User", user.GetProperty("role").GetString());
            Assert.Equal(email.Split('@')[0], user.GetProperty("displayName").GetString());
        }
        var role = await Db.ScalarAsync<string>(await fixture.ConnectionStringAsync("carrecommender"), "SELECT role FROM users WHERE email = $1", email);
        Assert.Equal("User", role);
    }

    [Fact]
    public async Task Creating_a_user_refuses_bad_fields_a_shoppers_token_and_a_bad_token()
    {
        using var admin = fixture.Api(fixture.AdminToken);
        using (var r = await admin.PostAsJsonAsync("/api/users", new { email = "not-an-email" })) await AssertValidationProblemAsync(r, "email");
        using (var r = await admin.PostAsJsonAsync("/api/users", new { email = "Someone <someone@example.com>" })) await AssertValidationProblemAsync(r, "email");
        using (var r = await admin.PostAsJsonAsync("/api/users", new { email = $"r-{Guid.NewGuid():N}@example.com", role = "Root" })) await AssertValidationProblemAsync(r, "role");
        using (var r = await admin.PostAsJsonAsync("/api/users", new { email = $"c-{Guid.NewGuid():N}@example.com", city = new string('x', 61) })) await AssertValidationProblemAsync(r, "city");

        using var shopper = fixture.Api(fixture.DemoToken);
        using (var r = await shopper.PostAsJsonAsync("/api/users", new { email = $"s-{Guid.NewGuid():N}@example.com" }))
            Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);
        using var stale = fixture.Api(fixture.DemoToken[..^4] + "AAAA");
        using (var r = await stale.PostAsJsonAsync("/api/users", new { email = $"t-{Guid.NewGuid():N}@example.com" }))
            Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
    }

    private static Dictionary<string, object?> With(Dictionary<string, object?> payload, params (string Name, object? Value)[] claims)
    {
        var copy = new Dictionary<string, object?>(payload);
        foreach (var (name, value) in claims) copy[name] = value;
        return copy;
    }

    private static async Task<JsonElement> MeAsync(HttpClient http)
    {
        using var response = await http.GetAsync("/api/users/me");
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET /api/users/me: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private static async Task AssertValidationProblemAsync(HttpResponseMessage response, string field)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"no error for {field}: {problem}");
    }

    /// <summary>Posts anonymously until the answer is not 429: the token and sign-in endpoints' per-address windows are shared with other tests.</summary>
    private async Task<(HttpStatusCode Status, JsonElement Body)> PostPastRateLimitAsync(string path, object body)
    {
        using var http = fixture.Api();
        (HttpStatusCode, JsonElement) answer = default;
        Assert.True(await Db.EventuallyAsync(async () =>
        {
            using var response = await http.PostAsJsonAsync(path, body);
            if (response.StatusCode == HttpStatusCode.TooManyRequests) return false;
            answer = (response.StatusCode, await response.Content.ReadFromJsonAsync<JsonElement>());
            return true;
        }, TimeSpan.FromSeconds(90)), $"{path} stayed rate-limited");
        return answer;
    }

    private async Task<long> UsersWithSubjectAsync(string subject) =>
        await Db.ScalarAsync<long>(await fixture.ConnectionStringAsync("carrecommender"), "SELECT count(*) FROM users WHERE external_subject = $1", subject);

    private async Task<(string? Issuer, string? Subject)> ExternalIdentityAsync(long userId)
    {
        await using var conn = await Db.OpenAsync(await fixture.ConnectionStringAsync("carrecommender"));
        await using var cmd = new Npgsql.NpgsqlCommand("SELECT external_issuer, external_subject FROM users WHERE id = $1", conn);
        cmd.Parameters.AddWithValue(userId);
        await using var reader = await cmd.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync(), $"no user {userId}");
        return (reader.IsDBNull(0) ? null : reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1));
    }
}

/// <summary>
/// The marketplace's identity provider as the API meets it: OpenID Connect discovery and a JSON Web Key Set on a local
/// port (Kestrel), and RS256 tokens signed with the key it publishes. Tokens are put together by hand (base64url JSON and
/// an RSA signature), so the tests do not lean on the library the API validates them with.
/// </summary>
public sealed class TestIdentityProvider : IAsyncDisposable
{
    public const string Audience = "carrecommender-marketplace";
    public const string KeyId = "marketplace-key-1";

    private readonly RSA _key = RSA.Create(2048);
    private WebApplication? _server;
    private int _keySetReads;

    /// <summary>The provider's base address, which is also its tokens' <c>iss</c>.</summary>
    public string Issuer { get; private set; } = "";

    /// <summary>How often the key set was fetched.</summary>
    public int KeySetReads => Volatile.Read(ref _keySetReads);

    public static async Task<TestIdentityProvider> StartAsync()
    {
        var provider = new TestIdentityProvider();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        var server = builder.Build();
        server.MapGet("/.well-known/openid-configuration", () => Results.Text(JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["issuer"] = provider.Issuer,
            ["jwks_uri"] = provider.Issuer + "/jwks.json",
            ["response_types_supported"] = new[] { "code" },
            ["subject_types_supported"] = new[] { "public" },
            ["id_token_signing_alg_values_supported"] = new[] { "RS256" },
        }), "application/json"));
        server.MapGet("/jwks.json", () =>
        {
            Interlocked.Increment(ref provider._keySetReads);
            return Results.Text(provider.KeySet(), "application/json");
        });
        await server.StartAsync();
        provider._server = server;
        provider.Issuer = server.Urls.Single().TrimEnd('/');
        return provider;
    }

    /// <summary>The published key set: the public half of the signing key.</summary>
    public string KeySet()
    {
        var key = _key.ExportParameters(includePrivateParameters: false);
        return JsonSerializer.Serialize(new
        {
            keys = new[] { new { kty = "RSA", use = "sig", alg = "RS256", kid = KeyId, n = Base64Url(key.Modulus!), e = Base64Url(key.Exponent!) } },
        });
    }

    /// <summary>A signed token for the subject with these e-mail and name claims (a null one is left out).</summary>
    public string Token(string subject, string? email, string? name) => Sign(Payload(subject, ("email", email), ("name", name)));

    /// <summary>The claims of a token valid for ten minutes for the API's audience, plus <paramref name="claims"/>.</summary>
    public Dictionary<string, object?> Payload(string subject, params (string Name, object? Value)[] claims)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var payload = new Dictionary<string, object?>
        {
            ["iss"] = Issuer,
            ["sub"] = subject,
            ["aud"] = Audience,
            ["iat"] = now,
            ["nbf"] = now,
            ["exp"] = now + 600,
            ["jti"] = Guid.NewGuid().ToString("N"),
        };
        foreach (var (name, value) in claims) payload[name] = value;
        return payload;
    }

    /// <summary>RS256 over the payload, with the provider's key or <paramref name="key"/>.</summary>
    public string Sign(Dictionary<string, object?> payload, RSA? key = null) =>
        Compose(new { alg = "RS256", typ = "JWT", kid = KeyId }, payload,
            data => (key ?? _key).SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));

    /// <summary>A compact JWS: base64url header and payload (null claims left out), and what <paramref name="sign"/> makes of them.</summary>
    public static string Compose(object header, Dictionary<string, object?> payload, Func<byte[], byte[]> sign)
    {
        var unsigned = Base64Url(JsonSerializer.SerializeToUtf8Bytes(header)) + "."
                       + Base64Url(JsonSerializer.SerializeToUtf8Bytes(payload.Where(c => c.Value is not null).ToDictionary()));
        return unsigned + "." + Base64Url(sign(Encoding.ASCII.GetBytes(unsigned)));
    }

    private static string Base64Url(byte[] bytes) => System.Buffers.Text.Base64Url.EncodeToString(bytes);

    public async ValueTask DisposeAsync()
    {
        if (_server is not null) await _server.DisposeAsync();
        _key.Dispose();
    }
}
