using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace CarRecommender.EndToEnd.Tests;

/// <summary>
/// Impression events through the running API: a client reports which listings of a served list the user saw, at
/// which position; they are stored once per list and listing, never touch the user's taste, are refused with a problem
/// naming the field when they do not match a list served to the user, and feed click-through by position.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class ImpressionTests(AppFixture fixture)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private async Task<string> DbAsync() => await fixture.ConnectionStringAsync("carrecommender");

    private static async Task<(Guid ListId, long[] Listings)> ServedListAsync(HttpClient api)
    {
        var list = await api.GetFromJsonAsync<JsonElement>("/api/users/me/recommendations?limit=10", Json);
        var id = list.GetProperty("recommendationId").GetGuid();
        var listings = list.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("listing").GetProperty("id").GetInt64()).ToArray();
        Assert.True(listings.Length >= 5, $"a list of {listings.Length}");
        return (id, listings);
    }

    private static object[] Shown(Guid listId, long[] listings, int count) =>
        listings.Take(count).Select((l, i) => (object)new { type = "impression", recommendationId = listId, listingId = l, position = i + 1 }).ToArray();

    [Fact]
    public async Task Impressions_are_stored_once_per_list_and_listing_and_move_no_taste()
    {
        var (userId, token) = fixture.ShopperTokens[18];
        var cs = await DbAsync();
        using var api = fixture.Api(token);
        var (listId, listings) = await ServedListAsync(api);
        var interactionsBefore = await Db.ScalarAsync<long>(cs, "SELECT count(*) FROM interactions WHERE user_id = $1", userId);
        var countBefore = await Db.ScalarAsync<int>(cs, "SELECT interaction_count FROM users WHERE id = $1", userId);

        using (var first = await api.PostAsJsonAsync("/api/events", Shown(listId, listings, 5)))
        {
            Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
            Assert.Equal(5, (await first.Content.ReadFromJsonAsync<JsonElement>(Json)).GetProperty("impressions").GetInt32());
        }
        // the client reports the same impressions again (a re-render): nothing new
        using (var again = await api.PostAsJsonAsync("/api/events", Shown(listId, listings, 5)))
        {
            Assert.Equal(HttpStatusCode.Accepted, again.StatusCode);
            Assert.Equal(0, (await again.Content.ReadFromJsonAsync<JsonElement>(Json)).GetProperty("impressions").GetInt32());
        }

        Assert.Equal(5L, await Db.ScalarAsync<long>(cs, "SELECT count(*) FROM impressions WHERE list_id = $1 AND user_id = $2", listId, userId));
        for (var i = 0; i < 5; i++)
            Assert.Equal(i + 1, await Db.ScalarAsync<int>(cs, "SELECT position FROM impressions WHERE list_id = $1 AND listing_id = $2", listId, listings[i]));
        // no interaction, no outbox row, no count: the taste pipelines never hear of impressions
        Assert.Equal(interactionsBefore, await Db.ScalarAsync<long>(cs, "SELECT count(*) FROM interactions WHERE user_id = $1", userId));
        Assert.Equal(countBefore, await Db.ScalarAsync<int>(cs, "SELECT interaction_count FROM users WHERE id = $1", userId));
    }

    [Fact]
    public async Task Impressions_that_match_no_list_served_to_the_user_are_refused_naming_the_field()
    {
        var (_, token) = fixture.ShopperTokens[18];
        var (otherUser, _) = fixture.ShopperTokens[17];
        var cs = await DbAsync();
        using var api = fixture.Api(token);
        var (listId, listings) = await ServedListAsync(api);
        var notInList = await Db.ScalarAsync<long>(cs, "SELECT id FROM listings WHERE NOT (id = ANY($1)) ORDER BY id LIMIT 1", listings);
        var othersList = Guid.NewGuid();
        await Db.ScalarAsync<int>(cs, """
            INSERT INTO served_lists (id, user_id, mode, served_at, listing_ids) VALUES ($1, $2, 'live', now(), $3) RETURNING 1
            """, othersList, otherUser, listings);

        async Task ExpectProblem(object item, string field)
        {
            var good = new { type = "impression", recommendationId = listId, listingId = listings[0], position = 1 };
            using var response = await api.PostAsJsonAsync("/api/events", new[] { good, item });
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Json);
            Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"no error for {field}: {problem}");
        }

        await ExpectProblem(new { type = "impression", listingId = listings[1], position = 2 }, "[1].recommendationId");
        await ExpectProblem(new { type = "impression", recommendationId = listId, listingId = listings[1] }, "[1].position");
        await ExpectProblem(new { type = "impression", recommendationId = listId, listingId = listings[1], position = 0 }, "[1].position");
        await ExpectProblem(new { type = "impression", recommendationId = listId, listingId = listings[1], position = 51 }, "[1].position");
        await ExpectProblem(new { type = "impression", recommendationId = listId, listingId = notInList, position = 2 }, "[1].listingId");
        await ExpectProblem(new { type = "impression", recommendationId = othersList, listingId = listings[1], position = 2 }, "[1].recommendationId");
        await ExpectProblem(new { type = "impression", recommendationId = Guid.NewGuid(), listingId = listings[1], position = 2 }, "[1].recommendationId");
        // the valid impression of each refused batch was not stored either
        Assert.Equal(0L, await Db.ScalarAsync<long>(cs, "SELECT count(*) FROM impressions WHERE list_id = $1", listId));
    }

    [Fact]
    public async Task Click_through_by_position_counts_clicks_from_the_list_on_the_impressed_listing()
    {
        var (_, token) = fixture.ShopperTokens[18];
        using var api = fixture.Api(token);
        using var admin = fixture.Api(fixture.AdminToken);
        var (listId, listings) = await ServedListAsync(api);
        var before = await ClickThroughAsync(admin);

        using (var shown = await api.PostAsJsonAsync("/api/events", Shown(listId, listings, 3)))
            Assert.Equal(HttpStatusCode.Accepted, shown.StatusCode);
        // a save of the second listing from the list: a click at position 2; a view of the third without the list's id is none
        using (var clicked = await api.PostAsJsonAsync("/api/events", new object[]
               {
                   new { type = "save", listingId = listings[1], recommendationId = listId },
                   new { type = "view", listingId = listings[2] },
               }))
            Assert.Equal(HttpStatusCode.Accepted, clicked.StatusCode);

        var after = await ClickThroughAsync(admin);
        Assert.Equal(Get(before, 1).Impressions + 1, Get(after, 1).Impressions);
        Assert.Equal(Get(before, 1).Clicks, Get(after, 1).Clicks);
        Assert.Equal(Get(before, 2).Impressions + 1, Get(after, 2).Impressions);
        Assert.Equal(Get(before, 2).Clicks + 1, Get(after, 2).Clicks);
        Assert.Equal(Get(before, 3).Clicks, Get(after, 3).Clicks);
        Assert.Equal((double)Get(after, 2).Clicks / Get(after, 2).Impressions, Get(after, 2).Rate, 6);

        using var bad = await admin.GetAsync("/api/admin/click-through?days=0");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.True((await bad.Content.ReadFromJsonAsync<JsonElement>(Json)).GetProperty("errors").TryGetProperty("days", out _));
    }

    private static async Task<Dictionary<int, (long Impressions, long Clicks, double Rate)>> ClickThroughAsync(HttpClient admin)
    {
        var body = await admin.GetFromJsonAsync<JsonElement>("/api/admin/click-through?days=1", Json);
        Assert.Equal(1, body.GetProperty("days").GetInt32());
        return body.GetProperty("positions").EnumerateArray().ToDictionary(p => p.GetProperty("position").GetInt32(),
            p => (p.GetProperty("impressions").GetInt64(), p.GetProperty("clicks").GetInt64(), p.GetProperty("rate").GetDouble()));
    }

    private static (long Impressions, long Clicks, double Rate) Get(Dictionary<int, (long, long, double)> rows, int position) =>
        rows.GetValueOrDefault(position);
}
