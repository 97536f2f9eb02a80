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
    private static readonly string[] AdminPages = ["/", "/users", "/users/1", "/listings", "/listings/1", "/vectors", "/pipelines"];

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
        var port = ServiceProcess.FreePort();
        using var api = ServiceProcess.Start(new Projects.CarRecommender_Api().ProjectPath, "CarRecommender.Api.dll", new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
            ["ConnectionStrings__carrecommender"] = await fixture.ConnectionStringAsync("carrecommender"),
            ["ConnectionStrings__messaging"] = await fixture.ConnectionStringAsync("messaging"),
            ["Auth__SigningKey"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(48)),
            ["Auth__DemoTokens"] = null,
        });
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        await api.WaitUntilAsync(_ => ServiceProcess.IsAliveAsync(http), TimeSpan.FromSeconds(90), "the Production API answering /alive");

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
}
