using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;

namespace CarRecommender.EndToEnd.Tests;

/// <summary>
/// The admin endpoints the console reads everything through (it has no database or broker connection of its own):
/// shut to anonymous callers and shoppers, open to the admin with the shapes the console reads.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class AdminApiTests(AppFixture fixture)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    [Fact]
    public async Task Every_console_endpoint_answers_401_anonymous_403_to_a_shopper_and_its_data_to_the_admin()
    {
        var cs = await fixture.ConnectionStringAsync("carrecommender");
        var userId = await Db.ScalarAsync<long>(cs, "SELECT min(id) FROM users WHERE interaction_count > 0 AND role = 'User'");
        var listings = await Db.ScalarAsync<long[]>(cs, "SELECT array_agg(id) FROM (SELECT id FROM listings WHERE status = 'Active' AND content_vector IS NOT NULL ORDER BY id LIMIT 2) l");
        var checks = new (string Url, Action<JsonElement> Shape)[]
        {
            ("/api/admin/overview", j =>
            {
                Assert.True(j.GetProperty("activeListings").GetInt64() > 0);
                Assert.True(j.GetProperty("users").GetInt64() > 0);
                Assert.True(j.GetProperty("countedAt").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddMinutes(-5));
            }),
            ("/api/admin/events-per-minute?minutes=5", j => Assert.Equal(5, j.GetArrayLength())),
            ("/api/admin/queues", j =>
            {
                var queues = j.EnumerateArray().ToDictionary(q => q.GetProperty("queue").GetString()!, q => q);
                foreach (var name in new[] { "pipeline.content", "pipeline.content.dead", "pipeline.collaborative", "pipeline.popularity", "jobs", "jobs.dead" })
                    Assert.True(queues.ContainsKey(name), $"no {name}");
                Assert.True(queues["pipeline.content"].GetProperty("consumers").GetInt32() >= 1);
                Assert.True(queues["jobs"].GetProperty("declared").GetBoolean());
            }),
            ("/api/admin/models?limit=3", j => Assert.InRange(j.GetArrayLength(), 0, 3)),
            ("/api/admin/price-models", j => Assert.Equal(JsonValueKind.Array, j.ValueKind)),
            ("/api/admin/click-through?days=3", j =>
            {
                Assert.Equal(3, j.GetProperty("days").GetInt32());
                Assert.Equal(JsonValueKind.Array, j.GetProperty("positions").ValueKind);
            }),
            ("/api/admin/ranker", j => Assert.True(j.TryGetProperty("serving", out _) && j.TryGetProperty("latest", out _))),
            ($"/api/admin/users/{userId}/detail", j =>
            {
                Assert.Equal(userId, j.GetProperty("id").GetInt64());
                Assert.True(j.GetProperty("countsByType").EnumerateObject().Any());
                Assert.Equal(28, j.GetProperty("contentVector").GetArrayLength());
            }),
            ($"/api/admin/users/{userId}/timeline?days=365", j => Assert.True(j.GetArrayLength() > 0)),
            ($"/api/admin/users/{userId}/interactions?limit=3", j =>
            {
                Assert.InRange(j.GetArrayLength(), 1, 3);
                Assert.True(j[0].GetProperty("listingId").GetInt64() > 0);
                Assert.False(string.IsNullOrEmpty(j[0].GetProperty("listing").GetString()));
            }),
            ("/api/admin/users?pageSize=2", j =>
            {
                Assert.Equal(2, j.GetProperty("items").GetArrayLength());
                Assert.True(j.GetProperty("items")[0].TryGetProperty("vectorsUpdatedAt", out _));
            }),
            ("/api/admin/listings?pageSize=5&status=active&bodyType=suv", j =>
            {
                Assert.Equal(5, j.GetProperty("items").GetArrayLength());
                Assert.All(j.GetProperty("items").EnumerateArray(), l => Assert.Equal("Suv", l.GetProperty("bodyType").GetString()));
                Assert.True(j.GetProperty("total").GetInt64() is > 5 and <= 10_000);
            }),
            ("/api/admin/listings?pageSize=1", j => Assert.True(j.GetProperty("totalIsCapped").GetBoolean(), "20,000 demo listings exceed the 10,000 count cap")),
            ($"/api/admin/listings/{listings[0]}", j =>
            {
                Assert.Equal(listings[0], j.GetProperty("listing").GetProperty("id").GetInt64());
                Assert.Equal(28, j.GetProperty("contentVector").GetArrayLength());
            }),
            ("/api/admin/vectors/sample?size=50", j =>
            {
                Assert.InRange(j.GetArrayLength(), 1, 50);
                Assert.Equal(28, j[0].GetProperty("vector").GetArrayLength());
            }),
            ($"/api/admin/vectors/listings?ids={listings[0]},{listings[1]}", j =>
                Assert.Equal(listings.Order(), j.EnumerateArray().Select(p => p.GetProperty("id").GetInt64()).Order())),
            ("/api/admin/jobs?limit=5", j => Assert.InRange(j.GetArrayLength(), 0, 5)),
        };
        using var anonymous = fixture.Api();
        using var shopper = fixture.Api(fixture.DemoToken);
        using var admin = fixture.Api(fixture.AdminToken);
        foreach (var (url, shape) in checks)
        {
            using (var response = await anonymous.GetAsync(url)) Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"anonymous {url}: {(int)response.StatusCode}");
            using (var response = await shopper.GetAsync(url)) Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"shopper {url}: {(int)response.StatusCode}");
            using (var response = await admin.GetAsync(url))
            {
                Assert.True(response.StatusCode == HttpStatusCode.OK, $"admin {url}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                shape(await response.Content.ReadFromJsonAsync<JsonElement>(Json));
            }
        }
        foreach (var (method, url) in new[] { (HttpMethod.Post, "/api/admin/jobs"), (HttpMethod.Get, "/api/admin/jobs/1") })
        {
            using (var response = await anonymous.SendAsync(new HttpRequestMessage(method, url) { Content = JsonContent.Create(new { kind = "retrain" }) }))
                Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            using (var response = await shopper.SendAsync(new HttpRequestMessage(method, url) { Content = JsonContent.Create(new { kind = "retrain" }) }))
                Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        }
        Report.Line($"admin API: {checks.Length} console endpoints (+ jobs) × anonymous 401, shopper 403, admin 200 with the console's shapes");
    }

    [Theory]
    [InlineData("/api/admin/listings?bodyType=Tank", "bodyType")]
    [InlineData("/api/admin/listings?status=1", "status")]
    [InlineData("/api/admin/listings?pageSize=1000", "pageSize")]
    [InlineData("/api/admin/events-per-minute?minutes=0", "minutes")]
    [InlineData("/api/admin/vectors/listings?ids=1,x", "ids")]
    [InlineData("/api/admin/users/abc/detail", "id")]
    public async Task A_bad_query_is_a_problem_naming_the_field(string url, string field)
    {
        using var admin = fixture.Api(fixture.AdminToken);
        using var response = await admin.GetAsync(url);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Json);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
    }

    [Fact]
    public void The_admin_console_resource_has_no_database_broker_or_signing_key_and_waits_only_for_the_api()
    {
        var model = fixture.App.Services.GetRequiredService<DistributedApplicationModel>();
        var admin = model.Resources.OfType<ProjectResource>().Single(r => r.Name == "admin");

        // the environment the running processes were started with, as the orchestrator reports it
        var adminEnv = Environment("admin");
        var apiEnv = Environment("api");

        // the same reading shows the API's connections, so an empty answer for the console means it has none
        Assert.Contains("ConnectionStrings__carrecommender", apiEnv.Keys);
        Assert.Contains("ConnectionStrings__messaging", apiEnv.Keys);
        Assert.Contains("Auth__SigningKey", apiEnv.Keys);
        Assert.DoesNotContain(adminEnv.Keys, k => k.StartsWith("ConnectionStrings__", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(adminEnv.Keys, k => k.Contains("SigningKey", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(adminEnv, e => e.Key.Contains("rabbit", StringComparison.OrdinalIgnoreCase) || e.Key.Contains("messaging", StringComparison.OrdinalIgnoreCase)
                                             || e.Value.StartsWith("amqp", StringComparison.OrdinalIgnoreCase)
                                             || e.Value.Contains("Host=", StringComparison.OrdinalIgnoreCase));
        Assert.Contains(adminEnv.Keys, k => k.StartsWith("services__api__", StringComparison.Ordinal));
        Assert.Equal(["api"], admin.Annotations.OfType<WaitAnnotation>().Select(w => w.Resource.Name));
    }

    private Dictionary<string, string> Environment(string resource)
    {
        Assert.True(fixture.App.ResourceNotifications.TryGetCurrentState(resource, out var state), $"{resource} is not running");
        var variables = state.Snapshot.EnvironmentVariables.Where(v => v.IsFromSpec).ToDictionary(v => v.Name, v => v.Value ?? "");
        Assert.NotEmpty(variables);
        return variables;
    }
}
