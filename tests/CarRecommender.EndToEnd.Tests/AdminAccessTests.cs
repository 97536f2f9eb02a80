using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Aspire.Hosting.Testing;

namespace CarRecommender.EndToEnd.Tests;

/// <summary>Access rules the reliability suite adds around the admin console, demo tokens and oversized uploads.</summary>
[Collection(AppCollection.Name)]
public sealed class AdminAccessTests(AppFixture fixture)
{
    [Theory]
    [InlineData("/")]
    [InlineData("/users")]
    [InlineData("/users/1")]
    [InlineData("/listings")]
    [InlineData("/listings/1")]
    [InlineData("/vectors")]
    [InlineData("/pipelines")]
    [InlineData("/ranker")]
    public async Task Admin_console_pages_send_anonymous_visitors_to_the_sign_in_page(string path)
    {
        using var handler = new HttpClientHandler { AllowAutoRedirect = false };
        using var http = new HttpClient(handler) { BaseAddress = fixture.App.GetEndpoint("admin", "http") };

        using var response = await http.GetAsync(path);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("/login", response.Headers.Location!.IsAbsoluteUri ? response.Headers.Location.PathAndQuery : response.Headers.Location.OriginalString,
            StringComparison.Ordinal);
        Assert.DoesNotContain("data-testid", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    /// <summary>Every page of the admin console.</summary>
    private static readonly string[] AdminPages = ["/", "/users", "/users/1", "/listings", "/listings/1", "/vectors", "/pipelines", "/ranker"];

    [Fact]
    public async Task Admin_console_pages_open_for_the_admin_and_stay_shut_to_users_A_and_B_even_with_their_api_tokens()
    {
        // users A and B: the right console password is refused at sign-in, no cookie is given, and their API tokens
        // are no key to the console's pages either
        foreach (var (email, token) in new[] { (AppFixture.DemoEmail, fixture.DemoToken), (fixture.OtherUserEmail, fixture.OtherUserToken) })
        {
            var (http, cookies, status) = await SignInAsync(email, AppFixture.AdminPassword);
            using (http)
            {
                Assert.Equal(HttpStatusCode.Unauthorized, status);
                Assert.DoesNotContain(cookies.GetAllCookies(), c => c.Name == "carrecommender-admin");
                http.DefaultRequestHeaders.Authorization = new("Bearer", token);
                foreach (var page in AdminPages)
                {
                    using var response = await http.GetAsync(page);
                    Assert.True(response.StatusCode == HttpStatusCode.Redirect, $"{email} {page}: {(int)response.StatusCode}");
                    Assert.StartsWith("/login", response.Headers.Location!.IsAbsoluteUri ? response.Headers.Location.PathAndQuery : response.Headers.Location.OriginalString,
                        StringComparison.Ordinal);
                }
            }
        }

        // the admin: signed in with a cookie, every page answers with the console's interactive component (the pages are
        // not prerendered: their content arrives over the circuit, which the browser test drives)
        var (admin, adminCookies, adminStatus) = await SignInAsync(AppFixture.AdminEmail, AppFixture.AdminPassword);
        using (admin)
        {
            Assert.True((int)adminStatus is >= 300 and < 400, $"admin sign-in answered {(int)adminStatus}");
            Assert.Contains(adminCookies.GetAllCookies(), c => c.Name == "carrecommender-admin");
            foreach (var page in AdminPages)
            {
                using var response = await admin.GetAsync(page);
                Assert.True(response.StatusCode == HttpStatusCode.OK, $"admin {page}: {(int)response.StatusCode}");
                Assert.Contains("<!--Blazor:{\"type\":\"server\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            }
        }
        Report.Line($"access: admin console pages × anonymous, user A, user B (with API tokens), admin: {AdminPages.Length} pages, only the admin got in");
    }

    /// <summary>Posts the sign-in form as a browser would (antiforgery token from the form), without following redirects.</summary>
    private async Task<(HttpClient Http, CookieContainer Cookies, HttpStatusCode Status)> SignInAsync(string email, string password)
    {
        var cookies = new CookieContainer();
        var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = cookies })
        {
            BaseAddress = fixture.App.GetEndpoint("admin", "http"),
        };
        var form = await http.GetStringAsync("/login");
        string Hidden(string name) => System.Text.RegularExpressions.Regex.Match(form, $"name=\"{name}\" value=\"([^\"]*)\"").Groups[1].Value;
        using var response = await http.PostAsync("/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = Hidden("_handler"),
            ["__RequestVerificationToken"] = System.Net.WebUtility.HtmlDecode(Hidden("__RequestVerificationToken")),
            ["Input.Email"] = email,
            ["Input.Password"] = password,
        }));
        return (http, cookies, response.StatusCode);
    }

    [Fact]
    public async Task The_sign_in_page_itself_is_public()
    {
        using var http = new HttpClient { BaseAddress = fixture.App.GetEndpoint("admin", "http") };
        var html = await http.GetStringAsync("/login");
        Assert.Contains("id=\"password\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Demo_tokens_are_off_when_the_api_runs_outside_development()
    {
        // a second API process on the same database and broker, started as Production would be
        var (api, http) = await ServiceProcess.StartApiAsync(await fixture.ConnectionStringAsync("carrecommender"), await fixture.ConnectionStringAsync("messaging"),
            "Production", new Dictionary<string, string?> { ["Auth__DemoTokens"] = null });
        using var ownApi = api;
        using var ownHttp = http;

        using var response = await http.PostAsJsonAsync("/api/auth/token", new { email = AppFixture.AdminEmail });

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Demo tokens are disabled", problem.GetProperty("title").GetString());
        Assert.DoesNotContain("accessToken", problem.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_gigabyte_csv_upload_is_refused_with_413_and_imports_nothing()
    {
        var cs = await fixture.ConnectionStringAsync("carrecommender");
        var before = await Db.ScalarAsync<long>(cs, "SELECT count(*) FROM listings");
        using var admin = fixture.Api(fixture.AdminToken);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/admin/listings/import")
        {
            Content = new StreamContent(new GarbageStream(1L << 30)),
        };
        request.Content.Headers.ContentType = new("text/csv");
        request.Content.Headers.ContentLength = 1L << 30;
        // the server refuses on the declared length, before the client has sent the gigabyte
        request.Headers.ExpectContinue = true;

        using var response = await admin.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(before, await Db.ScalarAsync<long>(cs, "SELECT count(*) FROM listings"));
        Report.Line("CSV import: 1 GiB upload → 413 ProblemDetails, listings unchanged");
    }

    /// <summary>Random bytes, produced as read (nothing held in memory).</summary>
    private sealed class GarbageStream(long length) : Stream
    {
        private long _position;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => length;
        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = (int)Math.Min(count, length - _position);
            Random.Shared.NextBytes(buffer.AsSpan(offset, n));
            _position += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    private async Task<(string Email, string Password)> NewOperatorAsync()
    {
        var email = $"ops-{Guid.NewGuid():N}@example.com";
        var password = "correct horse " + Guid.NewGuid().ToString("N")[..8];
        var made = await Cli.RunWithInputAsync(await fixture.ConnectionStringAsync("carrecommender"), password, "admin", "--email", email);
        Assert.True(made.ExitCode == 0, made.Output);
        return (email, password);
    }

    private async Task<HttpResponseMessage> ApiSignInAsync(string email, string password)
    {
        using var api = fixture.Api();
        return await api.PostAsJsonAsync("/api/auth/sign-in", new { email, password });
    }

    [Fact]
    public async Task Each_operator_has_their_own_password_five_wrong_ones_lock_the_account_and_a_revoked_token_loses_admin_rights()
    {
        var cs = await fixture.ConnectionStringAsync("carrecommender");
        var (email, password) = await NewOperatorAsync();
        Assert.StartsWith("AQAAAA", await Db.ScalarAsync<string>(cs, "SELECT password_hash FROM users WHERE email = $1", email), StringComparison.Ordinal);

        string token;
        using (var ok = await ApiSignInAsync(email, password))
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
            var body = await ok.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal("Admin", body.GetProperty("role").GetString());
            token = body.GetProperty("accessToken").GetString()!;
        }
        using (var admin = fixture.Api(token))
            Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/api/admin/users?pageSize=1")).StatusCode);

        // the shared console password of old is no key, nor is a wrong one; five in a row lock the account
        for (var i = 0; i < 5; i++)
        {
            using var wrong = await ApiSignInAsync(email, i == 0 ? AppFixture.AdminPassword : "wrong " + i);
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
            Assert.Equal("application/problem+json", wrong.Content.Headers.ContentType?.MediaType);
        }
        using (var locked = await ApiSignInAsync(email, password))
            Assert.Equal(HttpStatusCode.Unauthorized, locked.StatusCode);
        Assert.True(await Db.ScalarAsync<bool>(cs, "SELECT locked_until > now() FROM users WHERE email = $1", email));
        var (_, _, consoleStatus) = await SignInAsync(email, password);
        Assert.Equal(HttpStatusCode.Unauthorized, consoleStatus);
        using (var unknown = await ApiSignInAsync("nobody-" + Guid.NewGuid().ToString("N") + "@example.com", password))
            Assert.Equal(HttpStatusCode.Unauthorized, unknown.StatusCode);

        // revoked: the token signed before still has hours left, yet the admin endpoints shut within the re-check time
        var revoked = await Cli.RunAsync(cs, "admin", "--email", email, "--revoke");
        Assert.True(revoked.ExitCode == 0, revoked.Output);
        using (var admin = fixture.Api(token))
            Assert.True(await Db.EventuallyAsync(async () => (await admin.GetAsync("/api/admin/users?pageSize=1")).StatusCode == HttpStatusCode.Forbidden,
                TimeSpan.FromSeconds(60)), "a revoked operator's token still opened the admin endpoints");
        Report.Line("[access] operators: own hashed passwords (PBKDF2), 5 wrong ones lock the account for 15 min, the console shares the lockout, "
                    + "a revoked operator's token loses the admin endpoints within 30 s");
    }

    [Fact]
    public async Task A_console_session_ends_when_the_operator_is_revoked()
    {
        var cs = await fixture.ConnectionStringAsync("carrecommender");
        var (email, password) = await NewOperatorAsync();
        var (http, _, status) = await SignInAsync(email, password);
        using (http)
        {
            Assert.Equal(HttpStatusCode.Redirect, status);
            using (var open = await http.GetAsync("/users"))
                Assert.Equal(HttpStatusCode.OK, open.StatusCode);
            var revoked = await Cli.RunAsync(cs, "admin", "--email", email, "--revoke");
            Assert.True(revoked.ExitCode == 0, revoked.Output);
            using var shut = await http.GetAsync("/users");
            Assert.Equal(HttpStatusCode.Redirect, shut.StatusCode);
            Assert.StartsWith("/login", shut.Headers.Location!.IsAbsoluteUri ? shut.Headers.Location.PathAndQuery : shut.Headers.Location.OriginalString,
                StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Outside_development_no_known_admin_is_seeded_and_the_first_operator_comes_from_configuration()
    {
        var cs = await fixture.ConnectionStringAsync("carrecommender");
        var fresh = new Npgsql.NpgsqlConnectionStringBuilder(cs) { Database = "carrec_production" }.ConnectionString;
        await using (var conn = await Db.OpenAsync(cs))
        await using (var cmd = new Npgsql.NpgsqlCommand("DROP DATABASE IF EXISTS carrec_production WITH (FORCE); CREATE DATABASE carrec_production", conn))
            await cmd.ExecuteNonQueryAsync();
        var bootstrapPassword = "first operator " + Guid.NewGuid().ToString("N")[..8];
        var (api, http) = await ServiceProcess.StartApiAsync(fresh, await fixture.ConnectionStringAsync("messaging"), "Production", new Dictionary<string, string?>
        {
            ["Seed__Listings"] = "200",
            ["Seed__Users"] = "50",
            ["Seed__History"] = "false",
            ["Admin__Email"] = "Boss@Example.com",
            ["Admin__Password"] = bootstrapPassword,
        });
        using (api)
        using (http)
        {
            Assert.True(await Db.ScalarAsync<long>(fresh, "SELECT count(*) FROM listings") > 0, "the demo catalogue was seeded");
            Assert.Equal(0L, await Db.ScalarAsync<long>(fresh, "SELECT count(*) FROM users WHERE email = 'admin@example.com'"));
            Assert.Equal(["boss@example.com"], await Db.ScalarAsync<string[]>(fresh, "SELECT array_agg(email) FROM users WHERE role = 'Admin'"));
            using var signIn = await http.PostAsJsonAsync("/api/auth/sign-in", new { email = "boss@example.com", password = bootstrapPassword });
            Assert.Equal(HttpStatusCode.OK, signIn.StatusCode);
        }
        await using (var conn = await Db.OpenAsync(cs))
        await using (var cmd = new Npgsql.NpgsqlCommand("DROP DATABASE carrec_production WITH (FORCE)", conn))
            await cmd.ExecuteNonQueryAsync();
    }
}
