using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CarRecommender.Contracts;

namespace CarRecommender.EndToEnd.Tests;

/// <summary>
/// The business rules through the running system: exclude=, promoted listings (share, marking, expiry), the
/// per-seller cap and a configured boost, each visible in the items' explanations. Lists are read as an operator previews
/// them (the admin endpoint), for generated users nobody else's test touches.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class OperatorRuleTests(AppFixture fixture)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private async Task<string> DbAsync() => await fixture.ConnectionStringAsync("carrecommender");

    /// <summary>A generated user without history, counted from the newest (the fixture hands out the oldest).</summary>
    private async Task<long> QuietUserAsync(int nth) =>
        await Db.ScalarAsync<long>(await DbAsync(), "SELECT id FROM users WHERE role = 'User' AND interaction_count = 0 ORDER BY id DESC OFFSET $1 LIMIT 1", nth);

    private async Task<RecommendationsDto> ListAsync(long userId, string query)
    {
        using var admin = fixture.Api(fixture.AdminToken);
        using var response = await admin.GetAsync($"/api/admin/users/{userId}/recommendations?{query}");
        Assert.True(response.IsSuccessStatusCode, $"{query}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return (await response.Content.ReadFromJsonAsync<RecommendationsDto>(Json))!;
    }

    [Fact]
    public async Task Exclude_leaves_the_named_listings_out_and_still_fills_the_list()
    {
        var userId = await QuietUserAsync(0);
        var first = await ListAsync(userId, "limit=10");
        var excluded = first.Items.Take(3).Select(i => i.Listing.Id).ToArray();
        var again = await ListAsync(userId, "limit=10&exclude=" + string.Join(',', excluded));
        Assert.Equal(10, again.Items.Count);
        Assert.DoesNotContain(again.Items, i => excluded.Contains(i.Listing.Id));
        // the rest of the list keeps its order
        Assert.Equal(first.Items.Skip(3).Select(i => i.Listing.Id), again.Items.Take(7).Select(i => i.Listing.Id));
        var repeated = await ListAsync(userId, $"limit=10&exclude={excluded[0]}&exclude={excluded[1]}");
        Assert.DoesNotContain(repeated.Items, i => excluded.Take(2).Contains(i.Listing.Id));

        using var admin = fixture.Api(fixture.AdminToken);
        using var bad = await admin.GetAsync($"/api/admin/users/{userId}/recommendations?exclude=12,abc");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var problem = await bad.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains("abc", problem.GetProperty("errors").GetProperty("exclude")[0].GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Promoted_listings_fill_at_most_their_share_are_marked_and_end_with_their_promotion()
    {
        var userId = await QuietUserAsync(1);
        var cs = await DbAsync();
        var promoted = await Db.ScalarAsync<long[]>(cs, "SELECT array_agg(id) FROM (SELECT id FROM listings WHERE status = 'Active' ORDER BY id DESC LIMIT 6) x");
        using var admin = fixture.Api(fixture.AdminToken);
        try
        {
            foreach (var id in promoted)
            {
                using var set = await admin.PutAsJsonAsync($"/api/admin/listings/{id}/promotion", new { until = DateTimeOffset.UtcNow.AddHours(1) });
                Assert.Equal(HttpStatusCode.OK, set.StatusCode);
            }
            var list = await ListAsync(userId, "limit=10");
            Assert.Equal(10, list.Items.Count);
            // 20 % of 10 slots: the 5th and the 10th, so every prefix of the list keeps to the share too
            Assert.Equal([4, 9], list.Items.Select((item, i) => (item, i)).Where(x => x.item.Promoted).Select(x => x.i));
            Assert.All(list.Items.Where(i => promoted.Contains(i.Listing.Id)), i =>
            {
                Assert.True(i.Promoted, $"promoted listing {i.Listing.Id} shown unmarked");
                Assert.Contains(i.Explanation!.Rules, r => r.StartsWith("Promoted listing", StringComparison.Ordinal));
            });
            Assert.All(list.Items.Where(i => !i.Promoted), i => Assert.DoesNotContain(i.Explanation!.Rules, r => r.StartsWith("Promoted", StringComparison.Ordinal)));
            // four slots leave no room for a promoted one (⌊0.2 · 4⌋ = 0)
            Assert.DoesNotContain((await ListAsync(userId, "limit=4")).Items, i => i.Promoted);

            // a promotion that expires: the lists made while it ran are re-ranked without it
            foreach (var id in promoted)
            {
                using var shorter = await admin.PutAsJsonAsync($"/api/admin/listings/{id}/promotion", new { until = DateTimeOffset.UtcNow.AddSeconds(3) });
                Assert.Equal(HttpStatusCode.OK, shorter.StatusCode);
            }
            Assert.Contains((await ListAsync(userId, "limit=10")).Items, i => i.Promoted);
            Assert.True(await Db.EventuallyAsync(async () => !(await ListAsync(userId, "limit=10")).Items.Any(i => i.Promoted),
                TimeSpan.FromSeconds(30)), "an expired promotion still shows");

            using var past = await admin.PutAsJsonAsync($"/api/admin/listings/{promoted[0]}/promotion", new { until = DateTimeOffset.UtcNow.AddHours(-1) });
            Assert.Equal(HttpStatusCode.BadRequest, past.StatusCode);
        }
        finally
        {
            foreach (var id in promoted) (await admin.DeleteAsync($"/api/admin/listings/{id}/promotion")).Dispose();
        }
    }

    [Fact]
    public async Task A_list_holds_at_most_three_listings_of_one_seller_and_says_so()
    {
        const string filter = "make=Volkswagen&sellerType=Dealer&lat=52.52&lon=13.405&radiusKm=25";
        using var anonymous = fixture.Api();
        var matches = await anonymous.GetFromJsonAsync<JsonElement>($"/api/listings?{filter}&pageSize=100");
        var bySeller = matches.GetProperty("items").EnumerateArray().GroupBy(i => i.GetProperty("sellerId").GetString()).ToList();
        Assert.Contains(bySeller, g => g.Key is not null && g.Count() > 3); // the cap has something to cap

        var list = await ListAsync(await QuietUserAsync(2), filter + "&limit=10");
        Assert.NotEmpty(list.Items);
        foreach (var seller in list.Items.GroupBy(i => i.Listing.SellerId).Where(g => g.Key is not null))
            Assert.True(seller.Count() <= 3, $"{seller.Count()} listings of {seller.Key}");
        var capped = list.Items.Where(i => i.Explanation!.Rules.Contains("Seller cap: at most 3 listings of this seller in a list")).ToList();
        Assert.NotEmpty(capped);
        Assert.All(capped, i => Assert.Equal(3, list.Items.Count(x => x.Listing.SellerId == i.Listing.SellerId)));
    }

    [Fact]
    public async Task A_configured_boost_is_applied_and_named_in_the_explanation()
    {
        var userId = await QuietUserAsync(3);
        var note = $"Boosted ×1.3: {AppFixture.BoostWhen}";
        var lpg = await ListAsync(userId, "fuel=lpg&limit=5");
        Assert.NotEmpty(lpg.Items);
        Assert.All(lpg.Items, i => Assert.Contains(note, i.Explanation!.Rules));
        var petrol = await ListAsync(userId, "fuel=petrol&limit=5");
        Assert.NotEmpty(petrol.Items);
        Assert.All(petrol.Items, i => Assert.DoesNotContain(i.Explanation!.Rules, r => r.StartsWith("Boosted", StringComparison.Ordinal)));
    }
}
