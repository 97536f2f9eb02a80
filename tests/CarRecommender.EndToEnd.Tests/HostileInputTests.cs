using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;

namespace CarRecommender.EndToEnd.Tests;

/// <summary>
/// Generated hostile and malformed requests over every endpoint, bad JWTs, the access matrix and rate limits: every
/// refusal is a 4xx ProblemDetails, nothing is a 5xx, and the database is unchanged afterwards.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class HostileInputTests(AppFixture fixture)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>One request of the suite; <paramref name="MustRefuse"/>: malformed by construction, so a 2xx is a bug.</summary>
    private sealed record Probe(string Name, HttpMethod Method, string Url, string? Token, HttpContent? Body, bool MustRefuse = true);

    private static readonly string[] BadNumbers =
    [
        "NaN", "Infinity", "-Infinity", "1e309", "99999999999999999999", "-99999999999", "0x10", "1,5", "abc", "' OR 1=1 --",
        "<script>alert(1)</script>", "１２", "١٢", "1;DROP TABLE listings", "%00", "1.2.3", "--1", "+-5",
    ];
    private static readonly string[] NumberParams =
        ["minPrice", "maxPrice", "minYear", "maxYear", "minMileage", "maxMileage", "minPowerKw", "maxPowerKw", "lat", "lon", "radiusKm"];
    private static readonly string[] BadEnums = ["tank", "' OR 1=1 --", "<script>alert(1)</script>", "DROP TABLE", "𝔰𝔲𝔳", "suv\u0000", new string('a', 300)];
    private static readonly string[] EnumParams = ["fuel", "transmission", "bodyType", "sellerType"];
    private static readonly string[] TooLong = [new string('x', 101), new string('é', 101), string.Concat(Enumerable.Repeat("😀", 60))];
    private static readonly string[] HostileText =
        ["' OR 1=1 --", "<script>alert(1)</script>", "%", "_", "\\", "Robert'); DROP TABLE listings;--", "ﾟ∀ﾟ", "\u202Eevil", "${jndi:ldap://x}"];
    private static readonly string[] BadIds = ["0", "-1", "abc", "1.5", "99999999999999999999", "' OR 1=1", "<script>", "１", "1e3", "0x1F"];

    private static string Q(string value) => Uri.EscapeDataString(value);

    private static StringContent JsonBody(string raw) => new(raw, Encoding.UTF8, "application/json");

    private IEnumerable<Probe> Probes(long listingId, string user, string admin)
    {
        // listing search and recommendations: every numeric, enum and text filter with bad values, anonymous and signed in
        foreach (var (path, token) in new[] { ("/api/listings", (string?)null), ("/api/listings", user), ("/api/users/me/recommendations", user) })
        {
            foreach (var p in NumberParams)
                foreach (var v in BadNumbers)
                    yield return new($"{path} {p}={v}", HttpMethod.Get, $"{path}?{p}={Q(v)}" + (p is "lat" or "lon" ? "&lat=1&lon=1" : ""), token, null);
            foreach (var p in EnumParams)
                foreach (var v in BadEnums)
                    yield return new($"{path} {p}={v}", HttpMethod.Get, $"{path}?{p}={Q(v)}", token, null);
            foreach (var p in new[] { "make", "model", "q" })
            {
                foreach (var v in TooLong) yield return new($"{path} {p} too long", HttpMethod.Get, $"{path}?{p}={Q(v)}", token, null);
                foreach (var v in HostileText) yield return new($"{path} {p}={v}", HttpMethod.Get, $"{path}?{p}={Q(v)}", token, null, MustRefuse: false);
            }
        }
        // out of range for the parameter as well as not a number
        var ranges = new (string Name, string Url, string? Token, string[] OutOfRange)[]
        {
            ("search page", "/api/listings?page=", null, ["0", "-1", "10001"]),
            ("search pageSize", "/api/listings?pageSize=", null, ["0", "-1", "101"]),
            ("search status", "/api/listings?status=", null, ["deleted", "1"]),
            ("search sort", "/api/listings?sort=", null, ["random", "price;DROP"]),
            ("recommendations limit", "/api/users/me/recommendations?limit=", user, ["0", "51", "-3"]),
            ("similar limit", $"/api/listings/{listingId}/similar?limit=", null, ["0", "51", "-3"]),
            ("admin users page", "/api/admin/users?page=", admin, ["0", "-1", "100001"]),
            ("admin users pageSize", "/api/admin/users?pageSize=", admin, ["0", "-1", "101"]),
        };
        foreach (var (name, url, token, outOfRange) in ranges)
            foreach (var v in BadNumbers.Concat(outOfRange))
                yield return new($"{name}={v}", HttpMethod.Get, url + Q(v), token, null);
        foreach (var id in BadIds)
        {
            yield return new($"listing {id}", HttpMethod.Get, $"/api/listings/{Q(id)}", null, null);
            yield return new($"similar {id}", HttpMethod.Get, $"/api/listings/{Q(id)}/similar", null, null);
            yield return new($"admin user {id}", HttpMethod.Get, $"/api/admin/users/{Q(id)}", admin, null);
            yield return new($"admin recommendations {id}", HttpMethod.Get, $"/api/admin/users/{Q(id)}/recommendations", admin, null);
            yield return new($"status of {id}", HttpMethod.Put, $"/api/admin/listings/{Q(id)}/status", admin, JsonBody("{\"status\":\"sold\"}"));
        }
        yield return new("admin users q too long", HttpMethod.Get, $"/api/admin/users?q={Q(new string('q', 101))}", admin, null);

        // listing status: bad bodies
        foreach (var body in new[] { "", "{", "null", "[]", "{}", "{\"status\":\"stolen\"}", "{\"status\":1}", "{\"status\":\"0\"}", "{\"status\":null}", "{\"status\":\"' OR 1=1\"}" })
            yield return new($"status body {body}", HttpMethod.Put, $"/api/admin/listings/{listingId}/status", admin, JsonBody(body));

        // events: malformed JSON, wrong types, out-of-range and hostile values, each alone and inside a batch
        var huge = new string('x', 500_000);
        var events = new List<string>
        {
            "", "{", "[", "]", "null", "true", "42", "\"view\"", "{}", "[]", "[{}]", "[null]", "[[]]", "{\"listingId\":{},\"type\":\"view\"}",
            string.Concat(Enumerable.Repeat("[", 2000)) + string.Concat(Enumerable.Repeat("]", 2000)),
            "{\"listingId\":1,\"type\":\"view\"" + huge + "}", $"{{\"listingId\":1,\"type\":\"{huge}\"}}",
            "{\"listingId\":1,\"type\":\"view\",\"listingId\":\"x\"}",
        };
        foreach (var id in new[] { "\"abc\"", "-1", "0", "1e309", "1.5", "99999999999999999999", "\"NaN\"", "null", "true", "[1]", "999999999" })
            events.Add($"{{\"listingId\":{id},\"type\":\"view\"}}");
        foreach (var type in new[] { "\"hack\"", "\"\"", "null", "42", "[\"view\"]", "\"view; DROP TABLE interactions\"", "\"<script>\"", "\"vіew\"" })
            events.Add($"{{\"listingId\":{listingId},\"type\":{type}}}");
        foreach (var (field, value) in new[]
                 {
                     ("occurredAt", "\"not a date\""), ("occurredAt", "\"9999-12-31T00:00:00Z\""), ("occurredAt", "\"1900-01-01T00:00:00Z\""),
                     ("occurredAt", "42"), ("eventId", "\"not-a-guid\""), ("eventId", "42"), ("eventId", "\"00000000-0000-0000-0000-000000000000\""),
                     ("recommendationId", "\"x\""), ("recommendationId", "[]"),
                 })
            events.Add($"{{\"listingId\":{listingId},\"type\":\"view\",\"{field}\":{value}}}");
        events.Add("[" + string.Join(",", Enumerable.Repeat($"{{\"listingId\":{listingId},\"type\":\"view\"}}", 501)) + "]");
        var singles = events.ToList();
        foreach (var e in singles.Where(e => e.StartsWith('{') && e.Length < 1000))
            events.Add($"[{{\"listingId\":{listingId},\"type\":\"view\"}},{e}]"); // one bad event spoils the whole batch
        foreach (var body in events)
            yield return new($"events {(body.Length > 60 ? body[..60] + "…" : body)}", HttpMethod.Post, "/api/events", user, JsonBody(body));
        yield return new("events as text/plain", HttpMethod.Post, "/api/events", user,
            new StringContent($"{{\"listingId\":{listingId},\"type\":\"view\"}}", Encoding.UTF8, "text/plain"));
        yield return new("events as form", HttpMethod.Post, "/api/events", user, new FormUrlEncodedContent([new("listingId", "1"), new("type", "view")]));

        // token endpoint: bad e-mails and bodies
        foreach (var body in new[]
                 {
                     "", "{", "null", "{}", "{\"email\":null}", "{\"email\":42}", "{\"email\":\"\"}", "{\"email\":\"not-an-email\"}",
                     "{\"email\":\"' OR 1=1 --@example.com\"}", "{\"email\":\"<script>@example.com\"}", $"{{\"email\":\"{new string('a', 400)}@example.com\"}}",
                     "{\"email\":\"admin@example.com\\u0000\"}", "{\"email\":[\"admin@example.com\"]}",
                 })
            yield return new($"token {body}", HttpMethod.Post, "/api/auth/token", null, JsonBody(body));
    }

    [Fact]
    public async Task A_thousand_hostile_requests_get_4xx_problem_details_and_change_nothing()
    {
        var cs = await fixture.ConnectionStringAsync("carrecommender");
        var listingId = await Db.ScalarAsync<long>(cs, "SELECT min(id) FROM listings WHERE status = 'Active'");
        var user = fixture.ShopperTokens[^1].Token;
        var before = await ChecksumAsync(cs);
        var probes = Probes(listingId, user, fixture.AdminToken).Concat(await BadTokenProbesAsync()).ToList();
        Assert.True(probes.Count >= 1000, $"only {probes.Count} probes");

        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        int refused = 0, accepted = 0, serverErrors = 0;
        await Parallel.ForEachAsync(probes, new ParallelOptions { MaxDegreeOfParallelism = 6 }, async (probe, ct) =>
        {
            using var client = fixture.Api(probe.Token);
            using var request = new HttpRequestMessage(probe.Method, probe.Url) { Content = probe.Body };
            using var response = await client.SendAsync(request, ct);
            var status = (int)response.StatusCode;
            var body = await response.Content.ReadAsStringAsync(ct);
            if (status >= 500) Interlocked.Increment(ref serverErrors);
            if (status >= 400) Interlocked.Increment(ref refused); else Interlocked.Increment(ref accepted);
            if (status >= 500 || (probe.MustRefuse && status < 400))
                failures.Add($"{probe.Name}: {status} {body[..Math.Min(200, body.Length)]}");
            else if (status >= 400 && response.Content.Headers.ContentType?.MediaType != "application/problem+json")
                failures.Add($"{probe.Name}: {status} without ProblemDetails ({response.Content.Headers.ContentType})");
            else if (body.Contains("   at ", StringComparison.Ordinal) || body.Contains("Exception", StringComparison.Ordinal))
                failures.Add($"{probe.Name}: {status} leaks an exception: {body[..Math.Min(200, body.Length)]}");
        });
        Assert.True(failures.IsEmpty, $"{failures.Count} of {probes.Count} probes misbehaved:\n" + string.Join("\n", failures.Take(25)));
        Assert.Equal(before, await ChecksumAsync(cs));
        Report.Line($"[hostile] {probes.Count} requests: {refused} refused with 4xx ProblemDetails, {accepted} 2xx (hostile but well-formed " +
                    $"search text), {serverErrors} 5xx; database rows and checksums unchanged");
    }

    /// <summary>Row counts and content checksums of the tables a request could change.</summary>
    private static async Task<string> ChecksumAsync(string cs) => await Db.ScalarAsync<string>(cs, """
        SELECT concat_ws('|',
            (SELECT count(*) || ':' || md5(string_agg(concat_ws(',', id, make, model, year, price, mileage_km, status, body_type), ';' ORDER BY id)) FROM listings),
            (SELECT count(*) || ':' || md5(string_agg(concat_ws(',', id, email, role, display_name), ';' ORDER BY id)) FROM users),
            (SELECT count(*) FROM interactions))
        """);

    /// <summary>Tokens that must all be refused with 401: expired, wrong key, alg none, wrong issuer or audience, garbage.</summary>
    private async Task<IEnumerable<Probe>> BadTokenProbesAsync()
    {
        var model = fixture.App.Services.GetRequiredService<DistributedApplicationModel>();
        var key = await model.Resources.OfType<ParameterResource>().Single(p => p.Name == "jwt-signing-key").GetValueAsync(default)
                  ?? throw new InvalidOperationException("no signing key");
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        object Claims(long exp, string iss = "carrecommender", string aud = "carrecommender-api", string role = "Admin") =>
            new { sub = "1", email = "admin@example.com", role, iss, aud, iat = now - 7200, nbf = now - 7200, exp };
        var valid = fixture.DemoToken;
        var parts = valid.Split('.');
        var tokens = new Dictionary<string, string>
        {
            ["expired"] = Sign(new { alg = "HS256", typ = "JWT" }, Claims(now - 3600), key),
            ["wrong key"] = Sign(new { alg = "HS256", typ = "JWT" }, Claims(now + 3600), "a-completely-different-signing-key-of-enough-length"),
            ["alg none"] = Encode(new { alg = "none", typ = "JWT" }) + "." + Encode(Claims(now + 3600)) + ".",
            ["alg none, no dot"] = Encode(new { alg = "none", typ = "JWT" }) + "." + Encode(Claims(now + 3600)),
            ["wrong issuer"] = Sign(new { alg = "HS256", typ = "JWT" }, Claims(now + 3600, iss: "evil"), key),
            ["wrong audience"] = Sign(new { alg = "HS256", typ = "JWT" }, Claims(now + 3600, aud: "other-api"), key),
            ["tampered payload"] = parts[0] + "." + Encode(Claims(now + 3600)) + "." + parts[2],
            ["truncated signature"] = valid[..^5],
            ["garbage"] = "not.a.jwt",
            ["empty"] = "",
            ["HS512 header on HS256 signature"] = Encode(new { alg = "HS512", typ = "JWT" }) + "." + parts[1] + "." + parts[2],
        };
        return tokens.SelectMany(t => new[] { "/api/users/me", "/api/users/me/recommendations", "/api/admin/users" }
            .Select(url => new Probe($"token {t.Key} on {url}", HttpMethod.Get, url, t.Value, null)));
    }

    private static string Encode(object value) => Base64Url(JsonSerializer.SerializeToUtf8Bytes(value));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static string Sign(object header, object payload, string key)
    {
        var data = Encode(header) + "." + Encode(payload);
        return data + "." + Base64Url(HMACSHA256.HashData(Encoding.UTF8.GetBytes(key), Encoding.ASCII.GetBytes(data)));
    }

    [Fact]
    public async Task The_access_matrix_holds_for_anonymous_two_users_and_the_admin()
    {
        var (idA, tokenA) = fixture.ShopperTokens[^2];
        var (idB, tokenB) = fixture.ShopperTokens[^3];
        var cs = await fixture.ConnectionStringAsync("carrecommender");
        var listingId = await Db.ScalarAsync<long>(cs, "SELECT min(id) FROM listings WHERE status = 'Active'");
        var roles = new (string Name, string? Token)[] { ("anonymous", null), ("user A", tokenA), ("user B", tokenB), ("admin", fixture.AdminToken) };
        // expected status per role: anonymous, user A, user B, admin
        var matrix = new (HttpMethod Method, string Url, string? Body, int[] Expected)[]
        {
            (HttpMethod.Get, "/api/listings?pageSize=1", null, [200, 200, 200, 200]),
            (HttpMethod.Get, $"/api/listings/{listingId}", null, [200, 200, 200, 200]),
            (HttpMethod.Get, $"/api/listings/{listingId}/similar", null, [200, 200, 200, 200]),
            (HttpMethod.Get, "/api/users/me", null, [401, 200, 200, 200]),
            (HttpMethod.Get, "/api/users/me/recommendations?limit=3", null, [401, 200, 200, 200]),
            (HttpMethod.Post, "/api/events", "{}", [401, 400, 400, 400]),
            (HttpMethod.Get, "/api/admin/users?pageSize=1", null, [401, 403, 403, 200]),
            (HttpMethod.Get, $"/api/admin/users/{idA}", null, [401, 403, 403, 200]),
            (HttpMethod.Get, $"/api/admin/users/{idB}/recommendations?limit=3", null, [401, 403, 403, 200]),
            (HttpMethod.Put, $"/api/admin/listings/{listingId}/status", "{\"status\":\"stolen\"}", [401, 403, 403, 400]),
            (HttpMethod.Post, "/api/admin/listings/import", "", [401, 403, 403, 400]),
        };
        var wrong = new List<string>();
        foreach (var (method, url, body, expected) in matrix)
            for (var r = 0; r < roles.Length; r++)
            {
                using var client = fixture.Api(roles[r].Token);
                using var request = new HttpRequestMessage(method, url)
                {
                    Content = body is null ? null : new StringContent(body, Encoding.UTF8, url.Contains("import") ? "text/csv" : "application/json"),
                };
                using var response = await client.SendAsync(request);
                if ((int)response.StatusCode != expected[r]) wrong.Add($"{roles[r].Name} {method} {url}: {(int)response.StatusCode}, expected {expected[r]}");
            }
        Assert.True(wrong.Count == 0, string.Join("\n", wrong));

        // each user reads only themselves, and an event names no one but the caller
        using var a = fixture.Api(tokenA);
        using var b = fixture.Api(tokenB);
        Assert.Equal(idA, (await a.GetFromJsonAsync<JsonElement>("/api/users/me", Json)).GetProperty("id").GetInt64());
        Assert.Equal(idB, (await b.GetFromJsonAsync<JsonElement>("/api/users/me", Json)).GetProperty("id").GetInt64());
        Assert.Equal(idB, (await b.GetFromJsonAsync<JsonElement>("/api/users/me/recommendations", Json)).GetProperty("userId").GetInt64());
        var eventId = Guid.NewGuid();
        using (var posted = await a.PostAsync("/api/events", JsonBody($"{{\"eventId\":\"{eventId}\",\"listingId\":{listingId},\"type\":\"view\",\"userId\":{idB}}}")))
            Assert.True(posted.StatusCode is HttpStatusCode.Accepted or HttpStatusCode.BadRequest, $"{posted.StatusCode}");
        Assert.Equal(0L, await Db.ScalarAsync<long>(cs, "SELECT count(*) FROM interactions WHERE event_id = $1 AND user_id <> $2", eventId, idA));

        // secrets never appear in what the API returns, nor in any service's log
        var model = fixture.App.Services.GetRequiredService<DistributedApplicationModel>();
        var secrets = new List<string>();
        foreach (var p in model.Resources.OfType<ParameterResource>().Where(p => p.Secret))
            if (await p.GetValueAsync(default) is { Length: >= 8 } value) secrets.Add(value);
        Assert.NotEmpty(secrets);
        using var admin = fixture.Api(fixture.AdminToken);
        foreach (var url in new[] { "/health", "/api/openapi/v1.json", "/api/users/me", "/api/admin/users?pageSize=100", "/api/listings/abc", "/api/nope" })
        {
            var text = await (await admin.GetAsync(url)).Content.ReadAsStringAsync();
            Assert.DoesNotContain(secrets, s => text.Contains(s, StringComparison.Ordinal));
        }
        var serviceLines = fixture.ServiceLogs.Where(l => AppFixture.ServiceNames.Any(n => l.Category.EndsWith(".Resources." + n, StringComparison.Ordinal))).ToList();
        var lines = serviceLines.Count;
        foreach (var (category, message) in serviceLines)
            Assert.False(secrets.Any(s => message.Contains(s, StringComparison.Ordinal)), $"{category} logged a secret: {message[..Math.Min(80, message.Length)]}…");
        Assert.True(lines > 0, "no service logs to check");
    }

    [Fact]
    public async Task Csv_import_of_garbage_broken_quotes_and_wrong_encoding_reports_and_half_imports_nothing()
    {
        var cs = await fixture.ConnectionStringAsync("carrecommender");
        var before = await ChecksumAsync(cs);
        using var admin = fixture.Api(fixture.AdminToken);
        var rng = new Random(11);
        var garbage = new byte[5 * 1024 * 1024];
        rng.NextBytes(garbage);
        var latin1 = Encoding.Latin1.GetBytes("make,model,year,price,mileage,body\nCitroën,Berlingo,2019,12000,80000,minivan\nÅudi,A4,2018,13000,\"unterminated,sedan\n");
        var files = new (string Name, byte[] Body)[]
        {
            ("5 MB of random bytes", garbage),
            ("random bytes cut off mid-way", garbage[..1_234_567]),
            ("a header and nothing else", Encoding.UTF8.GetBytes("make,model,year,price,mileage\n")),
            ("ragged rows and an unterminated quote", Encoding.UTF8.GetBytes("make,model,year,price,mileage\nVW,Golf,2019\nVW,\"Polo,2018,9000,50000\n,,,,,,,,\n")),
            ("only delimiters", Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat(",,,,;;;;\t\t\n", 10_000)))),
        };
        var reports = new List<string>();
        foreach (var (name, body) in files)
        {
            using var content = new ByteArrayContent(body);
            content.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
            using var response = await admin.PostAsync("/api/admin/listings/import", content);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True((int)response.StatusCode < 500, $"{name}: {(int)response.StatusCode} {text[..Math.Min(200, text.Length)]}");
            if (response.IsSuccessStatusCode)
            {
                // a report: nothing imported when no row is a whole, valid listing
                var report = JsonSerializer.Deserialize<JsonElement>(text);
                var imported = report.GetProperty("imported").GetInt64();
                Assert.True(imported == 0, $"{name}: imported {imported}");
                reports.Add($"{name}: 200, {imported} imported");
            }
            else
            {
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
                reports.Add($"{name}: {(int)response.StatusCode}");
            }
        }
        Assert.Equal(before, await ChecksumAsync(cs));
        Report.Line("[import] " + string.Join("; ", reports) + "; database unchanged");

        // a Latin-1 export: read as Latin-1 (said in the report), the valid row in with its "ë", the broken one reported
        using var latin = new ByteArrayContent(latin1);
        latin.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
        using var ok = await admin.PostAsync("/api/admin/listings/import", latin);
        var latinReport = await ok.Content.ReadFromJsonAsync<JsonElement>(Json);
        Assert.Equal(1, latinReport.GetProperty("imported").GetInt64());
        Assert.Equal(1, latinReport.GetProperty("rejected").GetInt64());
        Assert.Contains(latinReport.GetProperty("warnings").EnumerateArray(), w => w.GetString()!.Contains("Latin-1", StringComparison.Ordinal));
        Assert.True(await Db.ScalarAsync<long>(cs, "SELECT count(*) FROM listings WHERE make = 'Citroën' AND model = 'Berlingo' AND price = 12000") >= 1);
    }

    /// <summary>An API of its own on the shared database and broker, with the product's default limits unless overridden.</summary>
    private async Task<(ServiceProcess Process, HttpClient Http)> OwnApiAsync(Dictionary<string, string?>? settings = null) =>
        await ServiceProcess.StartApiAsync(await fixture.ConnectionStringAsync("carrecommender"), await fixture.ConnectionStringAsync("messaging"), "Development",
            new Dictionary<string, string?>(settings ?? []) { ["Auth__DemoTokens"] = "true" });

    private static async Task<HttpClient> SignedInAsync(HttpClient http, string email)
    {
        using var response = await http.PostAsJsonAsync("/api/auth/token", new { email });
        response.EnsureSuccessStatusCode();
        var client = new HttpClient { BaseAddress = http.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new("Bearer", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString());
        return client;
    }

    [Fact]
    public async Task The_event_rate_limit_charges_each_event_so_batches_buy_no_extra_rate_and_garbage_pays_too()
    {
        var cs = await fixture.ConnectionStringAsync("carrecommender");
        // the default burst (1,000) with a refill of 1 event a second, so the count does not depend on how fast this machine is
        var (process, http) = await OwnApiAsync(new() { ["RateLimits__Events__PerSecond"] = "1" });
        using var ownApi = process;
        using var ownHttp = http;
        var shoppers = await Db.ScalarAsync<string[]>(cs,
            "SELECT array_agg(email ORDER BY id) FROM (SELECT id, email FROM users WHERE role = 'User' AND interaction_count = 0 ORDER BY id DESC LIMIT 2) u");
        var ids = new List<long>();
        await using (var conn = await Db.OpenAsync(cs))
        await using (var cmd = new Npgsql.NpgsqlCommand("SELECT id FROM listings WHERE status = 'Active' ORDER BY id LIMIT 500", conn))
        await using (var reader = await cmd.ExecuteReaderAsync())
            while (await reader.ReadAsync()) ids.Add(reader.GetInt64(0));

        // three batches of 500 valid events at once: a per-request limit lets all 1,500 in; per event, the bucket (burst
        // 1,000) holds the third back
        using (var client = await SignedInAsync(http, shoppers[0]))
        {
            var userId = await Db.ScalarAsync<long>(cs, "SELECT id FROM users WHERE email = $1", shoppers[0]);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var responses = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ =>
                client.PostAsJsonAsync("/api/events", ids.Select(id => new { listingId = id, type = "view", eventId = Guid.NewGuid() }).ToArray())));
            var elapsed = clock.Elapsed;
            var limited = responses.Where(r => r.StatusCode == HttpStatusCode.TooManyRequests).ToList();
            var stored = await Db.ScalarAsync<long>(cs, "SELECT count(*) FROM interactions WHERE user_id = $1", userId);
            Report.Line($"[rate limit] 3 batches of 500 events at once from one user: {responses.Length - limited.Count} accepted, {limited.Count} answered 429; "
                        + $"{stored} events stored (burst 1,000)");
            Assert.All(responses, r => Assert.True(r.StatusCode is HttpStatusCode.Accepted or HttpStatusCode.TooManyRequests, $"{r.StatusCode}"));
            Assert.NotEmpty(limited);
            var problem = await limited[0].Content.ReadFromJsonAsync<JsonElement>(Json);
            Assert.Contains("500", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
            Assert.NotNull(limited[0].Headers.RetryAfter);
            Assert.InRange(stored, 500, 1000 + (long)Math.Ceiling(elapsed.TotalSeconds));
            foreach (var r in responses) r.Dispose();
        }

        // an unreadable body still costs an event: 1,100 of them at once exceed the burst of 1,000, and nothing is stored
        using (var client = await SignedInAsync(http, shoppers[1]))
        {
            var userId = await Db.ScalarAsync<long>(cs, "SELECT id FROM users WHERE email = $1", shoppers[1]);
            var responses = await Task.WhenAll(Enumerable.Range(0, 1100).Select(_ => client.PostAsync("/api/events", JsonBody("{}"))));
            var limited = responses.Where(r => r.StatusCode == HttpStatusCode.TooManyRequests).ToList();
            Report.Line($"[rate limit] 1,100 invalid event requests at once from one user: {limited.Count} answered 429 with Retry-After, the rest 400, nothing stored");
            Assert.NotEmpty(limited);
            Assert.All(limited, r =>
            {
                Assert.NotNull(r.Headers.RetryAfter);
                Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
            });
            Assert.All(responses.Where(r => r.StatusCode != HttpStatusCode.TooManyRequests), r => Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode));
            Assert.Equal(0L, await Db.ScalarAsync<long>(cs, "SELECT count(*) FROM interactions WHERE user_id = $1", userId));
            foreach (var r in responses) r.Dispose();
        }
    }

    [Fact]
    public async Task Reloading_a_listing_page_records_one_view_per_window()
    {
        var (userId, token) = fixture.ShopperTokens[14];
        var cs = await fixture.ConnectionStringAsync("carrecommender");
        var (first, second) = (await Db.ScalarAsync<long>(cs, "SELECT min(id) FROM listings WHERE status = 'Active' AND id > 100"),
            await Db.ScalarAsync<long>(cs, "SELECT min(id) FROM listings WHERE status = 'Active' AND id > 200"));
        using var client = fixture.Api(token);
        for (var i = 0; i < 10; i++)
        {
            using var response = await client.GetAsync($"/api/listings/{first}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        using (var other = await client.GetAsync($"/api/listings/{second}")) Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        const string Views = "SELECT count(*) FROM interactions WHERE user_id = $1 AND listing_id = $2 AND type = 'View'";
        var firstViews = await Db.ScalarAsync<long>(cs, Views, userId, first);
        Report.Line($"[rate limit] a listing page loaded 10 times by one user: {firstViews} view recorded (window 30 min); another listing: "
                    + $"{await Db.ScalarAsync<long>(cs, Views, userId, second)}");
        Assert.Equal(1, firstViews);
        Assert.Equal(1, await Db.ScalarAsync<long>(cs, Views, userId, second));
    }

    [Fact]
    public async Task Anonymous_search_is_metered_per_client_and_a_signed_in_user_has_a_bucket_of_their_own()
    {
        // an API of its own with a small anonymous allowance, so the shared API's budget stays with the other tests
        var (api, http) = await OwnApiAsync(new() { ["RateLimits__Search__AnonymousPerMinute"] = "30" });
        using var ownApi = api;
        using var ownHttp = http;

        var statuses = new List<HttpStatusCode>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < 40; i++)
        {
            using var response = await http.GetAsync($"/api/listings?q=golf&page={1 + i % 5}");
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                Assert.NotNull(response.Headers.RetryAfter);
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            }
        }
        using var tokenResponse = await http.PostAsJsonAsync("/api/auth/token", new { email = fixture.OtherUserEmail });
        tokenResponse.EnsureSuccessStatusCode();
        using var signedIn = new HttpRequestMessage(HttpMethod.Get, "/api/listings?q=golf");
        signedIn.Headers.Authorization = new("Bearer", (await tokenResponse.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString());
        using var userResponse = await http.SendAsync(signedIn);
        var limited = statuses.Count(s => s == HttpStatusCode.TooManyRequests);
        Report.Line($"[rate limit] 40 anonymous searches from one client against an allowance of 30 a minute: {statuses.Count(s => s == HttpStatusCode.OK)} answered, "
                    + $"{limited} 429; a signed-in search meanwhile: {(int)userResponse.StatusCode}");
        // 30 in the bucket, one more every 2 s while the loop ran
        Assert.True(limited > 0, "no anonymous search was limited");
        Assert.InRange(statuses.Count(s => s == HttpStatusCode.OK), 1, 30 + 1 + (int)(clock.Elapsed.TotalSeconds / 2));
        Assert.All(statuses, s => Assert.True(s is HttpStatusCode.OK or HttpStatusCode.TooManyRequests, $"{s}"));
        Assert.Equal(HttpStatusCode.OK, userResponse.StatusCode);
    }

    [Fact]
    public async Task Deep_pages_are_refused_with_the_result_window_named()
    {
        using var client = fixture.Api(fixture.ShopperTokens[^1].Token);
        using var deep = await client.GetAsync("/api/listings?page=600&pageSize=20");
        Assert.Equal(HttpStatusCode.BadRequest, deep.StatusCode);
        var problem = await deep.Content.ReadFromJsonAsync<JsonElement>(Json);
        Assert.Contains("10,000", problem.GetProperty("errors").GetProperty("page")[0].GetString(), StringComparison.Ordinal);
        using var last = await client.GetAsync("/api/listings?page=500&pageSize=20");
        Assert.Equal(HttpStatusCode.OK, last.StatusCode);
    }
}
