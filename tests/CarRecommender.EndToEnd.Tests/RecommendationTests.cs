using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace CarRecommender.EndToEnd.Tests;

/// <summary>
/// Recommendations through the running system: cold start, simulated shoppers whose hidden taste must surface in their
/// top 10, exclusions (contacted, dismissed, sold), filters, attribution and bad input.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class RecommendationTests(AppFixture fixture)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private sealed record Listing(long Id, string Make, string Model, int Year, int Price, string Fuel, string BodyType, string Status);
    private sealed record Item(Listing Listing, double Score, string Source, string Reason, Guid RecommendationId);
    private sealed record Recommendations(long UserId, Guid RecommendationId, string Mode, DateTimeOffset ComputedAt, List<Item> Items);
    private sealed record Page(List<Listing> Items, long Total);

    /// <summary>A hidden taste: the search that describes it and the same rule as a predicate.</summary>
    private sealed record Taste(string Query, Func<Listing, bool> Matches);

    private static readonly Taste[] Tastes =
    [
        new("bodyType=suv&maxPrice=20000", l => l.BodyType == "Suv" && l.Price <= 20_000),
        new("bodyType=convertible&minPrice=25000", l => l.BodyType == "Convertible" && l.Price >= 25_000),
        new("bodyType=estate&fuel=diesel", l => l.BodyType == "Estate" && l.Fuel == "Diesel"),
        new("bodyType=hatchback&maxPrice=12000", l => l.BodyType == "Hatchback" && l.Price <= 12_000),
    ];

    private async Task<string> DbAsync() => await fixture.ConnectionStringAsync("carrecommender");

    private static async Task<Recommendations> GetAsync(HttpClient api, string query = "")
    {
        using var response = await api.GetAsync("/api/users/me/recommendations" + query);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return (await response.Content.ReadFromJsonAsync<Recommendations>(Json))!;
    }

    private static async Task<List<Listing>> SearchAsync(HttpClient api, string query, int pageSize)
    {
        var page = await api.GetFromJsonAsync<Page>($"/api/listings?{query}&pageSize={pageSize}", Json);
        return page!.Items;
    }

    /// <summary>Posts events and waits until every pipeline applied them and the user's list was refreshed after that.</summary>
    private async Task SendAndWaitForRefreshAsync(HttpClient api, long userId, IEnumerable<(long ListingId, string Type)> events, Guid? recommendationId = null)
    {
        var ids = new List<Guid>();
        var body = events.Select(e =>
        {
            var id = Guid.NewGuid();
            ids.Add(id);
            return new { eventId = id, listingId = e.ListingId, type = e.Type, recommendationId };
        }).ToArray();
        using var response = await api.PostAsJsonAsync("/api/events", body);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var cs = await DbAsync();
        Assert.True(await Db.EventuallyAsync(async () =>
            await Db.ScalarAsync<long>(cs, "SELECT count(*) FROM processed_events WHERE event_id = ANY($1)", ids.ToArray()) == (long)Core.Events.EventTopology.PipelineQueues.Length * ids.Count, Patience),
            "the pipelines did not apply the events in time");
        // every pipeline has committed: the list must now be computed from the user's current vectors
        Assert.True(await Db.EventuallyAsync(async () => await Db.ScalarAsync<bool>(cs, """
            SELECT EXISTS (SELECT 1 FROM recommendations r JOIN users u ON u.id = r.user_id
                           WHERE r.user_id = $1 AND r.vectors_as_of = u.vectors_updated_at)
            """, userId), Patience), "the precomputed list was not refreshed after the events");
    }

    [Fact]
    public async Task A_new_shopper_gets_a_full_list_at_once_with_reasons_and_a_recommendation_id()
    {
        var (_, token) = fixture.ShopperTokens[5];
        using var api = fixture.Api(token);
        var recs = await GetAsync(api, "?limit=12");
        Assert.Equal(12, recs.Items.Count);
        Assert.Equal(12, recs.Items.Select(i => i.Listing.Id).Distinct().Count());
        Assert.All(recs.Items, i =>
        {
            Assert.Equal("Active", i.Listing.Status);
            Assert.False(string.IsNullOrWhiteSpace(i.Reason));
            Assert.Equal(recs.RecommendationId, i.RecommendationId);
        });
        Assert.NotEqual(Guid.Empty, recs.RecommendationId);
        var again = await GetAsync(api);
        Assert.Equal(10, again.Items.Count);
        Assert.NotEqual(recs.RecommendationId, again.RecommendationId); // every list served is its own recommendation
    }

    [Fact]
    public async Task Simulated_shoppers_with_hidden_tastes_find_mostly_such_cars_in_their_top_10_after_10_saves()
    {
        // the product as it runs: with the collaborative model the worker trains at start-up (run alone, this test used to
        // finish before it existed and measured content alone)
        var cs = await DbAsync();
        Assert.True(await Db.EventuallyAsync(async () => await Db.ScalarAsync<long>(cs, "SELECT count(*) FROM model_versions") > 0, TimeSpan.FromMinutes(4)),
            "the worker's start-up retrain should produce a model");
        var random = new Random(7);
        for (var t = 0; t < Tastes.Length; t++)
        {
            var taste = Tastes[t];
            var (userId, token) = fixture.ShopperTokens[6 + t];
            using var api = fixture.Api(token);
            var before = await GetAsync(api);
            var matching = await SearchAsync(api, taste.Query, 60);
            Assert.True(matching.Count >= 20, $"the seeded catalogue should hold cars for '{taste.Query}'");
            var saved = matching.OrderBy(_ => random.Next()).Take(10).ToList();

            await SendAndWaitForRefreshAsync(api, userId, saved.Select(l => (l.Id, "save")));
            var after = await GetAsync(api);
            Assert.Equal("precomputed", after.Mode);
            Assert.Equal(10, after.Items.Count);
            var hits = after.Items.Count(i => taste.Matches(i.Listing));
            Assert.True(hits >= 6, $"shopper who saves '{taste.Query}': {hits}/10 matching in " +
                                   string.Join("; ", after.Items.Select(i => $"{i.Listing.BodyType} {i.Listing.Fuel} €{i.Listing.Price} {i.Score} {i.Reason}")));
            Assert.NotEqual(before.Items.Select(i => i.Listing.Id), after.Items.Select(i => i.Listing.Id));
            Assert.Contains(after.Items, i => i.Reason.StartsWith("Similar to the ", StringComparison.Ordinal) && i.Reason.EndsWith(" you saved", StringComparison.Ordinal));
            Assert.True(after.Items.GroupBy(i => (i.Listing.Make, i.Listing.Model)).Max(g => g.Count()) <= 3,
                "one model should not fill the list: " + string.Join("; ", after.Items.Select(i => $"{i.Listing.Make} {i.Listing.Model} {i.Score}")));
        }
    }

    [Fact]
    public async Task Contacted_dismissed_and_sold_listings_leave_the_list()
    {
        var (userId, token) = fixture.ShopperTokens[10];
        using var api = fixture.Api(token);
        var liked = await SearchAsync(api, Tastes[0].Query, 10);
        await SendAndWaitForRefreshAsync(api, userId, liked.Select(l => (l.Id, "save")));
        var top = (await GetAsync(api)).Items.Take(3).Select(i => i.Listing.Id).ToArray();

        // sold: gone at once, from the stored list too (no refresh needed)
        using var admin = fixture.Api(fixture.AdminToken);
        using (var sold = await admin.PutAsJsonAsync($"/api/admin/listings/{top[2]}/status", new { status = "sold" }))
            Assert.Equal(HttpStatusCode.NoContent, sold.StatusCode);
        var cs = await DbAsync();
        Assert.Equal(0L, await Db.ScalarAsync<long>(cs, "SELECT count(*) FROM recommendations WHERE listing_ids @> ARRAY[$1::bigint]", top[2]));
        Assert.DoesNotContain(top[2], (await GetAsync(api, "?limit=50")).Items.Select(i => i.Listing.Id));

        await SendAndWaitForRefreshAsync(api, userId, [(top[0], "contact"), (top[1], "dismiss")]);
        var after = await GetAsync(api, "?limit=50");
        Assert.Equal(50, after.Items.Count);
        Assert.DoesNotContain(after.Items, i => top.Contains(i.Listing.Id));
        // and from a live filtered ranking: a ceiling under the list's dearest listing, so the stored 50 cannot fill it
        var ceiling = after.Items.Max(i => i.Listing.Price) - 1;
        var filtered = await GetAsync(api, $"?limit=50&maxPrice={ceiling}");
        Assert.Equal("live", filtered.Mode);
        Assert.DoesNotContain(filtered.Items, i => top.Contains(i.Listing.Id));
    }

    [Fact]
    public async Task Filters_are_honoured_and_a_selective_filter_still_fills_the_list()
    {
        var (_, token) = fixture.ShopperTokens[6]; // a shopper with a taste (any will do; the list must obey the filter)
        using var api = fixture.Api(token);
        var cs = await DbAsync();
        // a make and model with only a few dozen active listings among 20,000
        await using var conn = await Db.OpenAsync(cs);
        await using var cmd = new Npgsql.NpgsqlCommand("""
            SELECT make, model, count(*) FROM listings WHERE status = 'Active'
            GROUP BY make, model HAVING count(*) BETWEEN 15 AND 60 ORDER BY count(*), make, model LIMIT 1
            """, conn);
        await using var reader = await cmd.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        var (make, model) = (reader.GetString(0), reader.GetString(1));
        await reader.DisposeAsync();

        var recs = await GetAsync(api, $"?limit=12&make={Uri.EscapeDataString(make)}&model={Uri.EscapeDataString(model)}");
        Assert.Equal("live", recs.Mode);
        Assert.Equal(12, recs.Items.Count);
        Assert.All(recs.Items, i => Assert.True(i.Listing.Make == make && i.Listing.Model == model));

        var cheap = await GetAsync(api, "?limit=10&maxPrice=9000&fuel=petrol,diesel");
        Assert.Equal(10, cheap.Items.Count);
        Assert.All(cheap.Items, i => Assert.True(i.Listing.Price <= 9000 && i.Listing.Fuel is "Petrol" or "Diesel", $"{i.Listing.Price} {i.Listing.Fuel}"));

        // a broad filter (more matches than the exact path takes: through the vector indexes) is honoured too
        var broad = await GetAsync(api, "?limit=10&minYear=2000");
        Assert.True(await Db.ScalarAsync<long>(cs, "SELECT count(*) FROM listings WHERE status = 'Active' AND year >= 2000")
                    > CarRecommender.Core.Recommendation.Sources.CatalogueRetrieval.ExactFilterLimit);
        Assert.Equal(10, broad.Items.Count);
        Assert.All(broad.Items, i => Assert.True(i.Listing.Year >= 2000, $"{i.Listing.Year}"));
        Assert.All(broad.Items, i => Assert.False(string.IsNullOrWhiteSpace(i.Reason)));
    }

    [Fact]
    public async Task A_filter_the_stored_list_can_fill_is_served_from_it_in_its_order_and_one_it_cannot_is_ranked_live()
    {
        var (userId, token) = fixture.ShopperTokens[12];
        using var api = fixture.Api(token);
        var liked = await SearchAsync(api, Tastes[2].Query, 10);
        await SendAndWaitForRefreshAsync(api, userId, liked.Select(l => (l.Id, "save")));
        var stored = await GetAsync(api, "?limit=50");
        Assert.Equal(50, stored.Items.Count);

        // a price ceiling that 10 of the stored 50 pass (the 10th cheapest): those 10, in the list's order, one keyed read
        var ceiling = stored.Items.Select(i => i.Listing.Price).Order().ElementAt(9);
        var expected = stored.Items.Where(i => i.Listing.Price <= ceiling).Take(10).Select(i => i.Listing.Id).ToList();
        var served = await GetAsync(api, $"?limit=10&maxPrice={ceiling}");
        Assert.Equal("precomputed", served.Mode);
        Assert.Equal(expected, served.Items.Select(i => i.Listing.Id).ToList());
        Assert.All(served.Items, i => Assert.False(string.IsNullOrWhiteSpace(i.Reason)));

        // a ceiling under the list's dearest listing with a limit of 50: the list cannot fill it, so it is ranked live
        var below = stored.Items.Max(i => i.Listing.Price) - 1;
        var live = await GetAsync(api, $"?limit=50&maxPrice={below}");
        Assert.Equal("live", live.Mode);
        Assert.Equal(50, live.Items.Count);
        Assert.All(live.Items, i => Assert.True(i.Listing.Price <= below, $"{i.Listing.Price} > {below}"));
    }

    [Fact]
    public async Task Events_can_carry_the_recommendation_id_they_came_from()
    {
        var (userId, token) = fixture.ShopperTokens[9];
        using var api = fixture.Api(token);
        var recs = await GetAsync(api);
        var clicked = recs.Items[0].Listing.Id;
        await SendAndWaitForRefreshAsync(api, userId, [(clicked, "view")], recs.RecommendationId);
        var cs = await DbAsync();
        Assert.Equal(1L, await Db.ScalarAsync<long>(cs,
            "SELECT count(*) FROM interactions WHERE user_id = $1 AND listing_id = $2 AND recommendation_id = $3", userId, clicked, recs.RecommendationId));
    }

    [Theory]
    [InlineData("?limit=0", "limit")]
    [InlineData("?limit=51", "limit")]
    [InlineData("?limit=ten", "limit")]
    [InlineData("?maxPrice=-5", "maxPrice")]
    [InlineData("?bodyType=tank", "bodyType")]
    [InlineData("?minYear=2020&maxYear=2010", "minYear")]
    [InlineData("?radiusKm=50", "radiusKm")]
    public async Task Bad_parameters_get_a_problem_naming_the_field(string query, string field)
    {
        using var api = fixture.Api(fixture.DemoToken);
        using var response = await api.GetAsync("/api/users/me/recommendations" + query);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Json);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
    }

    [Fact]
    public async Task Recommendations_need_a_token_and_other_users_lists_need_the_admin_role()
    {
        using var anonymous = fixture.Api();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/users/me/recommendations")).StatusCode);
        var (userId, _) = fixture.ShopperTokens[5];
        using var user = fixture.Api(fixture.OtherUserToken);
        Assert.Equal(HttpStatusCode.Forbidden, (await user.GetAsync($"/api/admin/users/{userId}/recommendations")).StatusCode);
        using var admin = fixture.Api(fixture.AdminToken);
        var forUser = await admin.GetFromJsonAsync<Recommendations>($"/api/admin/users/{userId}/recommendations?limit=5", Json);
        Assert.Equal(userId, forUser!.UserId);
        Assert.Equal(5, forUser.Items.Count);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync("/api/admin/users/999999999/recommendations")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PutAsJsonAsync("/api/admin/listings/1/status", new { status = "stolen" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await user.PutAsJsonAsync("/api/admin/listings/1/status", new { status = "sold" })).StatusCode);
    }
}
