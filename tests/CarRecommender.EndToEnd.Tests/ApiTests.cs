using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Npgsql;

namespace CarRecommender.EndToEnd.Tests;

/// <summary>The REST API through the running app: auth, search and filters, details, similar, validation, admin, import.</summary>
[Collection(AppCollection.Name)]
public sealed class ApiTests(AppFixture fixture)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    [Fact]
    public async Task Users_me_needs_a_token_and_returns_the_callers_profile()
    {
        using var anonymous = fixture.Api();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/users/me")).StatusCode);

        using var demo = fixture.Api(fixture.DemoToken);
        var me = await demo.GetFromJsonAsync<JsonElement>("/api/users/me");
        Assert.Equal(AppFixture.DemoEmail, me.GetProperty("email").GetString());
        Assert.Equal("User", me.GetProperty("role").GetString());

        using var other = fixture.Api(fixture.OtherUserToken);
        var otherMe = await other.GetFromJsonAsync<JsonElement>("/api/users/me");
        Assert.NotEqual(me.GetProperty("id").GetInt64(), otherMe.GetProperty("id").GetInt64());
    }

    [Fact]
    public async Task A_forged_or_tampered_token_is_rejected()
    {
        var parts = fixture.DemoToken.Split('.');
        var payload = Encoding.UTF8.GetString(Convert.FromBase64String(Pad(parts[1]))).Replace("\"User\"", "\"Admin\"", StringComparison.Ordinal);
        var tampered = $"{parts[0]}.{Base64Url(payload)}.{parts[2]}";
        var none = $"{Base64Url("{\"alg\":\"none\",\"typ\":\"JWT\"}")}.{parts[1]}.";
        foreach (var token in new[] { tampered, none, "not-a-token" })
        {
            using var client = fixture.Api(token);
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/users/me")).StatusCode);
        }
    }

    [Fact]
    public async Task Search_results_satisfy_every_filter()
    {
        using var client = fixture.Api();
        var page = await GetPageAsync(client,
            "/api/listings?minPrice=3000&maxPrice=30000&minYear=2012&maxMileage=200000&fuel=Diesel,Petrol&bodyType=Suv,Estate&transmission=manual&pageSize=100");
        Assert.True(page.Total > 0, "the seeded catalogue should have matches");
        Assert.All(page.Items, l =>
        {
            Assert.InRange(l.GetProperty("price").GetInt32(), 3000, 30000);
            Assert.True(l.GetProperty("year").GetInt32() >= 2012);
            Assert.True(l.GetProperty("mileageKm").GetInt32() <= 200000);
            Assert.Contains(l.GetProperty("fuel").GetString(), new[] { "Diesel", "Petrol" });
            Assert.Contains(l.GetProperty("bodyType").GetString(), new[] { "Suv", "Estate" });
            Assert.Equal("Manual", l.GetProperty("transmission").GetString());
            Assert.Equal("Active", l.GetProperty("status").GetString());
        });

        var unfiltered = await GetPageAsync(client, "/api/listings?pageSize=1");
        Assert.True(unfiltered.Total > page.Total);
    }

    [Fact]
    public async Task Free_text_make_and_radius_filters_hold()
    {
        using var client = fixture.Api();
        var golf = await GetPageAsync(client, "/api/listings?q=golf&pageSize=50");
        Assert.True(golf.Total > 0);
        Assert.All(golf.Items, l => Assert.Equal("Golf", l.GetProperty("model").GetString()));

        var bmw = await GetPageAsync(client, "/api/listings?make=bmw&pageSize=50");
        Assert.All(bmw.Items, l => Assert.Equal("BMW", l.GetProperty("make").GetString()));

        // around Berlin, nearest first
        var near = await GetPageAsync(client, "/api/listings?lat=52.52&lon=13.405&radiusKm=40&sort=distance&pageSize=100");
        Assert.True(near.Total > 0);
        var distances = near.Items.Select(l => l.GetProperty("distanceKm").GetDouble()).ToList();
        Assert.All(distances, d => Assert.True(d <= 40, $"{d} km is outside the 40 km radius"));
        Assert.Equal(distances.Order().ToList(), distances);
    }

    [Fact]
    public async Task Paging_and_sorting_are_consistent()
    {
        using var client = fixture.Api();
        var first = await GetPageAsync(client, "/api/listings?sort=price&make=Skoda&pageSize=20&page=1");
        var second = await GetPageAsync(client, "/api/listings?sort=price&make=Skoda&pageSize=20&page=2");
        Assert.Equal(20, first.Items.Count);
        Assert.Equal(first.Total, second.Total);
        Assert.Empty(first.Items.Select(Id).Intersect(second.Items.Select(Id)));
        var prices = first.Items.Concat(second.Items).Select(l => l.GetProperty("price").GetInt32()).ToList();
        Assert.Equal(prices.Order().ToList(), prices);

        var sold = await GetPageAsync(client, "/api/listings?status=sold&pageSize=10");
        Assert.True(sold.Total > 0);
        Assert.All(sold.Items, l => Assert.Equal("Sold", l.GetProperty("status").GetString()));
    }

    [Theory]
    [InlineData("minPrice=-5", "minPrice")]
    [InlineData("minPrice=abc", "minPrice")]
    [InlineData("minPrice=20000&maxPrice=1000", "minPrice")]
    [InlineData("minYear=2020&maxYear=2010", "minYear")]
    [InlineData("fuel=steam", "fuel")]
    [InlineData("bodyType=1", "bodyType")]
    [InlineData("transmission=Manual,Rocket", "transmission")]
    [InlineData("pageSize=1000", "pageSize")]
    [InlineData("page=0", "page")]
    [InlineData("lat=52.5", "lon")]
    [InlineData("lat=95&lon=13", "lat")]
    [InlineData("radiusKm=10", "radiusKm")]
    [InlineData("sort=cheapest", "sort")]
    [InlineData("sort=distance", "sort")]
    [InlineData("status=stolen", "status")]
    [InlineData("maxMileage=1e400", "maxMileage")]
    public async Task Bad_search_parameters_get_a_400_naming_the_field(string query, string field)
    {
        using var client = fixture.Api();
        await AssertProblemAsync(await client.GetAsync("/api/listings?" + query), field);
    }

    [Fact]
    public async Task Details_return_404_for_unknown_and_400_for_malformed_ids()
    {
        using var client = fixture.Api();
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/api/listings/999999999")).StatusCode);
        await AssertProblemAsync(await client.GetAsync("/api/listings/abc"), "id");
        await AssertProblemAsync(await client.GetAsync("/api/listings/-3"), "id");
        await AssertProblemAsync(await client.GetAsync("/api/listings/99999999999999999999999"), "id");
        await AssertProblemAsync(await client.GetAsync("/api/listings/1/similar?limit=500"), "limit");
    }

    [Fact]
    public async Task An_authenticated_view_records_an_interaction()
    {
        using var anonymous = fixture.Api();
        var listing = (await GetPageAsync(anonymous, "/api/listings?pageSize=1&sort=-price")).Items[0];
        var id = Id(listing);

        using var user = fixture.Api(fixture.OtherUserToken);
        var before = await user.GetFromJsonAsync<JsonElement>("/api/users/me");
        var detail = await user.GetFromJsonAsync<JsonElement>($"/api/listings/{id}");
        Assert.Equal(id, detail.GetProperty("id").GetInt64());
        var after = await user.GetFromJsonAsync<JsonElement>("/api/users/me");
        Assert.Equal(Views(before) + 1, Views(after));

        // the listing's counter follows once the content pipeline applied the view; an anonymous view records nothing
        Assert.True(await Db.EventuallyAsync(async () =>
            (await anonymous.GetFromJsonAsync<JsonElement>($"/api/listings/{id}")).GetProperty("viewCount").GetInt32() == detail.GetProperty("viewCount").GetInt32() + 1,
            TimeSpan.FromSeconds(60)));
        var afterAnonymous = await user.GetFromJsonAsync<JsonElement>("/api/users/me");
        Assert.Equal(Views(after), Views(afterAnonymous));

        static int Views(JsonElement me) => me.GetProperty("interactions").GetProperty("views").GetInt32();
    }

    [Fact]
    public async Task Similar_listings_are_active_exclude_the_listing_and_resemble_it()
    {
        using var client = fixture.Api();
        var suv = (await GetPageAsync(client, "/api/listings?bodyType=Suv&fuel=Diesel&pageSize=1")).Items[0];
        var similar = await client.GetFromJsonAsync<JsonElement[]>($"/api/listings/{Id(suv)}/similar?limit=10");
        Assert.NotNull(similar);
        Assert.Equal(10, similar.Length);
        Assert.DoesNotContain(similar, s => Id(s.GetProperty("listing")) == Id(suv));
        Assert.All(similar, s => Assert.Equal("Active", s.GetProperty("listing").GetProperty("status").GetString()));
        // ordered by the blend of similarity and the "also viewed" links (SimilarTests)
        var scores = similar.Select(s => s.GetProperty("score").GetDouble()).ToList();
        Assert.Equal(scores.OrderDescending().ToList(), scores);
        // content neighbours of a diesel SUV are mostly SUVs
        Assert.True(similar.Count(s => s.GetProperty("listing").GetProperty("bodyType").GetString() == "Suv") >= 7);
    }

    [Fact]
    public async Task Admin_endpoints_need_the_admin_role()
    {
        using var anonymous = fixture.Api();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/admin/users")).StatusCode);
        using var user = fixture.Api(fixture.DemoToken);
        Assert.Equal(HttpStatusCode.Forbidden, (await user.GetAsync("/api/admin/users")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await user.PostAsync("/api/admin/listings/import", new StringContent("make,model\n"))).StatusCode);

        using var admin = fixture.Api(fixture.AdminToken);
        var users = await admin.GetFromJsonAsync<JsonElement>("/api/admin/users?q=demo");
        Assert.Contains(users.GetProperty("items").EnumerateArray(), u => u.GetProperty("email").GetString() == AppFixture.DemoEmail);
    }

    [Fact]
    public async Task Csv_import_takes_good_rows_reports_bad_ones_and_half_imports_nothing()
    {
        var marker = "Imp" + Guid.NewGuid().ToString("N")[..6];
        var csv = new StringBuilder()
            .AppendLine("Brand;Model;First registration;Price;Odometer (miles);Fuel type;Gearbox;Body;HP;City")
            .AppendLine(CultureInfo.InvariantCulture, $"volkswagen;{marker}A;05/2019;\"18.500\";30000;Diesel;Automatic;Estate;150;Munich")
            .AppendLine(CultureInfo.InvariantCulture, $"BMW;{marker}B;2021;32900;12000;petrol;manual;saloon;184;Berlin")
            .AppendLine(CultureInfo.InvariantCulture, $"Audi;{marker}C;sometime;21000;50000;Diesel;Automatic;SUV;190;Berlin")
            .AppendLine(CultureInfo.InvariantCulture, $"Ford;{marker}D;2018;-5;50000;Diesel;Manual;Estate;120;Berlin")
            .AppendLine(CultureInfo.InvariantCulture, $"Kia;{marker}E;2020;15000;40000;steam;Manual;SUV;100;Berlin")
            .AppendLine(CultureInfo.InvariantCulture, $"Opel;{marker}F;2017;9000")
            .ToString();
        using var admin = fixture.Api(fixture.AdminToken);
        using var response = await admin.PostAsync("/api/admin/listings/import", new StringContent(csv, Encoding.UTF8, "text/csv"));
        var report = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(6, report.GetProperty("rowsRead").GetInt64());
        // an unknown fuel ("steam") is not a reason to lose the car: it goes in with fuel Unknown
        Assert.Equal(3, report.GetProperty("imported").GetInt64());
        Assert.Equal(3, report.GetProperty("rejected").GetInt64());
        var reasons = report.GetProperty("rejections").EnumerateArray().Select(r => r.GetProperty("reason").GetString()!).ToList();
        Assert.Contains(reasons, r => r.Contains("year", StringComparison.Ordinal));
        Assert.Contains(reasons, r => r.Contains("price", StringComparison.Ordinal));
        Assert.Contains(reasons, r => r.Contains("fields", StringComparison.Ordinal));

        await using var conn = new NpgsqlConnection(await fixture.ConnectionStringAsync("carrecommender"));
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(
            "SELECT model, make, year, price, mileage_km, transmission, body_type, power_kw, city, content_vector IS NOT NULL FROM listings WHERE model LIKE @m ORDER BY model", conn);
        cmd.Parameters.AddWithValue("m", marker + "%");
        await using var reader = await cmd.ExecuteReaderAsync();
        var rows = new List<object[]>();
        while (await reader.ReadAsync())
        {
            var row = new object[reader.FieldCount];
            reader.GetValues(row);
            rows.Add(row);
        }
        Assert.Equal([marker + "A", marker + "B", marker + "E"], rows.Select(r => (string)r[0]));
        Assert.Equal("Unknown", await Db.ScalarAsync<string>(await fixture.ConnectionStringAsync("carrecommender"), "SELECT fuel FROM listings WHERE model = $1", marker + "E"));
        var vw = rows[0];
        Assert.Equal("Volkswagen", vw[1]);
        Assert.Equal(2019, vw[2]);
        Assert.Equal(18500, vw[3]);
        Assert.Equal(48280, vw[4]); // 30,000 miles
        Assert.Equal("Automatic", vw[5]);
        Assert.Equal("Estate", vw[6]);
        Assert.Equal(110, vw[7]); // 150 hp
        Assert.Equal("Munich", vw[8]);
        Assert.Equal(true, vw[9]);
        Assert.Equal("Sedan", rows[1][6]);
    }

    [Fact]
    public async Task Openapi_lists_every_endpoint_and_swagger_ui_loads()
    {
        using var client = fixture.Api();
        var doc = await client.GetFromJsonAsync<JsonElement>("/api/openapi/v1.json");
        var paths = doc.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        foreach (var path in new[] { "/api/auth/token", "/api/users/me", "/api/listings", "/api/listings/{id}", "/api/listings/{id}/similar",
                     "/api/admin/users", "/api/admin/users/{id}", "/api/admin/listings/import" })
            Assert.Contains(path, paths);
        var listingResponses = doc.GetProperty("paths").GetProperty("/api/listings/{id}").GetProperty("get").GetProperty("responses");
        Assert.True(listingResponses.TryGetProperty("200", out _));
        Assert.True(listingResponses.TryGetProperty("400", out _));
        Assert.True(listingResponses.TryGetProperty("404", out _));

        var ui = await client.GetStringAsync("/api/docs/index.html");
        Assert.Contains("swagger-ui", ui, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>One test for every call to the token endpoint: it ends by exhausting the rate limit (the fixture holds the tokens).</summary>
    [Fact]
    public async Task Token_endpoint_validates_the_email_and_is_rate_limited_with_retry_after()
    {
        using var client = fixture.Api();
        // other tests share the per-address window (the hostile-input suite spends it): use up what is left of the
        // current window, then wait until a fresh one answers, so the checks below have permits to spend
        for (var i = 0; i < 100; i++)
        {
            using var r = await client.PostAsJsonAsync("/api/auth/token", new { email = "nobody@example.com" });
            if (r.StatusCode == HttpStatusCode.TooManyRequests) break;
        }
        Assert.True(await Db.EventuallyAsync(async () =>
        {
            using var unknown = await client.PostAsJsonAsync("/api/auth/token", new { email = "nobody@example.com" });
            Assert.True(unknown.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.TooManyRequests, $"{unknown.StatusCode}");
            return unknown.StatusCode == HttpStatusCode.NotFound;
        }, TimeSpan.FromSeconds(90)), "the token endpoint stayed rate-limited");
        await AssertProblemAsync(await client.PostAsJsonAsync("/api/auth/token", new { email = "not-an-email" }), "email");

        // A body over the 1 MiB limit is refused before it is read. Expect: 100-continue lets the 413 arrive before the
        // client streams megabytes into a connection the server is closing.
        var huge = new string('x', 3 * 1024 * 1024);
        using (var oversized = new HttpRequestMessage(HttpMethod.Post, "/api/auth/token")
        {
            Content = new StringContent($"{{\"email\":\"{huge}\"}}", Encoding.UTF8, "application/json"),
        })
        {
            oversized.Headers.ExpectContinue = true;
            using var response = await client.SendAsync(oversized);
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        }

        HttpResponseMessage? limited = null;
        for (var i = 0; i < 200 && limited is null; i++)
        {
            var r = await client.PostAsJsonAsync("/api/auth/token", new { email = "nobody@example.com" });
            if (r.StatusCode == HttpStatusCode.TooManyRequests) limited = r;
        }
        Assert.NotNull(limited);
        Assert.True(limited.Headers.RetryAfter is not null, "429 without Retry-After");
        Assert.Equal("application/problem+json", limited.Content.Headers.ContentType?.MediaType);
    }

    private static long Id(JsonElement listing) => listing.GetProperty("id").GetInt64();

    private sealed record Page(List<JsonElement> Items, long Total);

    private static async Task<Page> GetPageAsync(HttpClient client, string url)
    {
        using var response = await client.GetAsync(url);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{url}: {(int)response.StatusCode} {body}");
        var json = JsonSerializer.Deserialize<JsonElement>(body, Json);
        return new Page(json.GetProperty("items").EnumerateArray().ToList(), json.GetProperty("total").GetInt64());
    }

    private static async Task AssertProblemAsync(HttpResponseMessage response, string field)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"expected 400, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonSerializer.Deserialize<JsonElement>(body);
        Assert.True(problem.TryGetProperty("errors", out var errors) && errors.TryGetProperty(field, out _),
            $"the problem does not name '{field}': {body}");
    }

    private static string Pad(string b64url)
    {
        var s = b64url.Replace('-', '+').Replace('_', '/');
        return s.PadRight(s.Length + (4 - s.Length % 4) % 4, '=');
    }

    private static string Base64Url(string s) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(s)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
