using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CarRecommender.Core.Data;
using CarRecommender.Core.Domain;
using CarRecommender.Core.Recommendation;
using CarRecommender.Core.Recommendation.Sources;
using CarRecommender.Core.Recommendation.Store;
using CarRecommender.Core.Recommendation.Taste;
using CarRecommender.Core.Search;
using Microsoft.EntityFrameworkCore;

namespace CarRecommender.EndToEnd.Tests;

/// <summary>
/// The engine's stages over the running system's database: the worker's refresh, the API's live path and the
/// evaluation's in-memory composition give the same list for the same user and catalogue; the store alone keeps lists.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class EngineTests(AppFixture fixture)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private const int Attempts = 3;

    private sealed record Listing(long Id);
    private sealed record Item(Listing Listing);
    private sealed record Recommendations(string Mode, List<Item> Items);

    /// <summary>
    /// A seeded shopper with a history and both vectors that no other test acts for; the latent vectors come with the
    /// worker's start-up model, which a test run first waits for.
    /// </summary>
    private async Task<long> SeasonedUserAsync(string cs)
    {
        const string sql = """
            SELECT coalesce(max(id), 0) FROM (SELECT id FROM users WHERE content_vector IS NOT NULL AND latent_vector IS NOT NULL
              AND interaction_count >= 10 AND email <> $1 ORDER BY id DESC LIMIT 1) x
            """;
        Assert.True(await Db.EventuallyAsync(async () => await Db.ScalarAsync<long>(cs, sql, AppFixture.DemoEmail) > 0, TimeSpan.FromMinutes(4)),
            "no seeded shopper got latent vectors (the worker's start-up model)");
        return await Db.ScalarAsync<long>(cs, sql, AppFixture.DemoEmail);
    }

    [Fact]
    public async Task The_workers_refresh_stores_the_list_the_engine_composes()
    {
        var cs = await fixture.ConnectionStringAsync("carrecommender");
        var userId = await SeasonedUserAsync(cs);
        using var admin = fixture.Api(fixture.AdminToken);
        var listings = await Db.ScalarAsync<long[]>(cs, "SELECT array_agg(id) FROM (SELECT id FROM listings WHERE status = 'Active' ORDER BY id LIMIT $1) x", Attempts);
        var compared = new List<string>();
        // other tests' events may still move trending between the refresh and the comparison: a few tries, each after a refresh
        for (var attempt = 0; attempt < Attempts; attempt++)
        {
            await ViewAndWaitForRefreshAsync(admin, cs, userId, listings[attempt]);
            var stored = await Db.ScalarAsync<long[]>(cs, "SELECT listing_ids FROM recommendations WHERE user_id = $1", userId);
            await using var db = DesignTimeDbFactory.Create(cs);
            var engine = new RecommendationEngine(new PostgresTasteLoader(db), new CatalogueRetrieval(db), AppFixture.Settings);
            var composed = (await engine.RecommendAsync(new RecommendationRequest(userId, null, RecommendationStore.ListSize, DateTimeOffset.UtcNow), default))!
                .Items.Select(i => i.ListingId).ToArray();
            Assert.Equal(RecommendationStore.ListSize, composed.Length);
            if (stored.SequenceEqual(composed)) return;
            compared.Add($"stored [{string.Join(',', stored)}] vs composed [{string.Join(',', composed)}]");
        }
        Assert.Fail("the worker's stored list never matched the engine's: " + string.Join("; ", compared));
    }

    [Fact]
    public async Task The_live_path_ranks_a_selective_filter_as_the_evaluation_composes_the_engine_in_memory()
    {
        var cs = await fixture.ConnectionStringAsync("carrecommender");
        var userId = await SeasonedUserAsync(cs);
        var (make, model) = await SelectiveModelAsync(cs);
        var filter = new ListingFilter { Make = make, Model = model };
        using var admin = fixture.Api(fixture.AdminToken);
        var compared = new List<string>();
        for (var attempt = 0; attempt < Attempts; attempt++)
        {
            var before = await InMemoryAsync(cs, userId, filter);
            using var response = await admin.GetAsync($"/api/admin/users/{userId}/recommendations?limit=12&make={Uri.EscapeDataString(make)}&model={Uri.EscapeDataString(model)}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var live = (await response.Content.ReadFromJsonAsync<Recommendations>(Json))!;
            Assert.Equal("live", live.Mode);
            var served = live.Items.Select(i => i.Listing.Id).ToArray();
            Assert.Equal(12, served.Length);
            // compared only while nothing moved (the same in-memory answer before and after the request)
            if (before.SequenceEqual(served) && (await InMemoryAsync(cs, userId, filter)).SequenceEqual(before)) return;
            compared.Add($"live [{string.Join(',', served)}] vs in memory [{string.Join(',', before)}]");
        }
        Assert.Fail("the live list never matched the in-memory composition: " + string.Join("; ", compared));
    }

    [Fact]
    public async Task Filtered_popularity_walks_return_the_hottest_matches_with_the_trend_keys_they_were_walked_by()
    {
        var cs = await fixture.ConnectionStringAsync("carrecommender");
        var userId = await SeasonedUserAsync(cs);
        await using var db = DesignTimeDbFactory.Create(cs);
        var taste = (await new PostgresTasteLoader(db).LoadAsync(userId, default))!.Taste;
        var models = taste.CarModels.Top(IndexedSources.CarModelSourceModels);
        Assert.NotEmpty(models);
        // a broad filter (the cheaper half of the catalogue), so the indexed walks serve it, not the exact path
        var filter = new ListingFilter { MaxPrice = await Db.ScalarAsync<int>(cs, "SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY price) FROM listings WHERE status = 'Active'") };
        var query = new RetrievalOptions().Query(taste, 12) with { Now = DateTimeOffset.UtcNow };

        // one snapshot for the walks and the expectation: other tests' events keep moving trend keys
        await using var tx = await db.Database.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead);
        var active = db.Listings.AsNoTracking().Where(l => l.Status == ListingStatus.Active);
        var sources = new IndexedSources(db, active.Matching(filter with { Status = ListingStatus.Active }), filter);
        var carModel = await sources.CarModel.FetchAsync(query, default);
        var trending = await sources.Trending.FetchAsync(query, default);
        var rows = await active.Select(l => new { l.Id, l.CarModel, l.Price, Key = l.Popularity!.TrendKey }).ToListAsync();
        await tx.CommitAsync();

        var hottest = rows.OrderByDescending(r => r.Key).ThenByDescending(r => r.Id).ToList();
        bool Wanted(long id, int price) => price <= filter.MaxPrice && !query.Excluded.Contains(id);
        // each proposed model's hottest active listings, as deep as the walk looks, then the filter
        var expectedCarModel = hottest.Where(r => models.Contains(r.CarModel)).GroupBy(r => r.CarModel)
            .SelectMany(g => g.Take(IndexedSources.FilteredModelDepth)).Where(r => Wanted(r.Id, r.Price))
            .OrderByDescending(r => r.Key).ThenByDescending(r => r.Id).Take(query.Count).ToList();
        var expectedTrending = hottest.Where(r => Wanted(r.Id, r.Price)).Take(query.TrendingCount).ToList();

        Assert.NotEmpty(expectedCarModel);
        Assert.Equal(expectedCarModel.Select(r => r.Id), carModel.Select(c => c.ListingId));
        Assert.Equal(expectedCarModel.Select(r => r.Key), carModel.Select(c => c.TrendKey));
        Assert.Equal(expectedTrending.Select(r => r.Id), trending.Select(c => c.ListingId));
        Assert.Equal(expectedTrending.Select(r => r.Key), trending.Select(c => c.TrendKey));
    }

    [Fact]
    public async Task The_store_serves_a_list_only_while_it_can_fill_the_request_and_never_lets_an_older_list_replace_a_newer_one()
    {
        var cs = await fixture.ConnectionStringAsync("carrecommender");
        // a user of their own: no other test and no pipeline writes their list
        await using var db = DesignTimeDbFactory.Create(cs);
        var user = new User { Email = $"store-{Guid.NewGuid():N}@example.com", DisplayName = "Store test", CreatedAt = DateTimeOffset.UtcNow };
        db.Users.Add(user);
        await db.SaveChangesAsync();
        var userId = user.Id;
        var ids = await Db.ScalarAsync<long[]>(cs, "SELECT array_agg(id ORDER BY id) FROM (SELECT id FROM listings WHERE status = 'Active' ORDER BY id DESC LIMIT 5) x");
        var store = new RecommendationStore(db);
        var newer = DateTimeOffset.UtcNow;
        RecommendationResult List(IEnumerable<long> listings, DateTimeOffset asOf) => new(listings
            .Select((id, i) => new RankedListing(id, 1 - i * 0.1, RecommendationSource.Content, $"reason {id}")).ToList(), asOf, 5);

        await store.SaveAsync(userId, List(ids, newer), default);
        var read = (await store.ReadAsync(userId, null, 5, default))!;
        Assert.Equal(ids, read.Items.Select(p => p.Listing.Id));
        Assert.Equal($"reason {ids[0]}", read.Items[0].Reason);
        Assert.Null(await store.ReadAsync(userId, null, 6, default)); // cannot fill six: the caller ranks live

        // a list computed from older vectors loses to the stored one
        await store.SaveAsync(userId, List(ids.Reverse(), newer.AddMinutes(-1)), default);
        Assert.Equal(ids, (await store.ReadAsync(userId, null, 5, default))!.Items.Select(p => p.Listing.Id));

        // a filter is served from the list in its order when the list holds enough matches
        var price = await Db.ScalarAsync<int>(cs, "SELECT price FROM listings WHERE id = $1", ids[2]);
        var filtered = await store.ReadAsync(userId, new ListingFilter { MaxPrice = price }, 1, default);
        Assert.NotNull(filtered);
        Assert.True(filtered.Items[0].Listing.Price <= price);

        // a listing that leaves the catalogue leaves every list that holds it
        await using (var conn = await Db.OpenAsync(cs))
            Assert.True(await RecommendationStore.DropListingAsync(conn, null, ids[0], default) >= 1);
        Assert.Equal(ids.Skip(1), (await store.ReadAsync(userId, null, 4, default))!.Items.Select(p => p.Listing.Id));
        Assert.DoesNotContain(userId, await RecommendationStore.HoldersAsync(Db.Source(cs), [ids[0]], default));
        Assert.Contains(userId, await RecommendationStore.HoldersAsync(Db.Source(cs), [ids[1]], default));
    }

    /// <summary>The engine as the evaluation composes it (tastes and sources in memory) over the filter's matches read from the database.</summary>
    private static async Task<long[]> InMemoryAsync(string cs, long userId, ListingFilter filter)
    {
        await using var db = DesignTimeDbFactory.Create(cs);
        var user = (await new PostgresTasteLoader(db).LoadAsync(userId, default))!;
        var matches = await IndexedSources.ReadAsync(db, db.Listings.AsNoTracking().Matching(filter with { Status = ListingStatus.Active }),
            CatalogueRetrieval.ExactFilterLimit, default);
        var engine = new RecommendationEngine(new InMemoryTastes(id => id == userId ? user : null), new MemoryRetrieval(new CandidateCatalogue(matches)), AppFixture.Settings);
        var result = await engine.RecommendAsync(new RecommendationRequest(userId, null, 12, DateTimeOffset.UtcNow), default);
        return result!.Items.Select(i => i.ListingId).ToArray();
    }

    /// <summary>A make and model with enough active listings to fill a list of 12 and few enough for the exact path.</summary>
    private static async Task<(string Make, string Model)> SelectiveModelAsync(string cs)
    {
        await using var conn = await Db.OpenAsync(cs);
        await using var cmd = new Npgsql.NpgsqlCommand("""
            SELECT make, model FROM listings WHERE status = 'Active'
            GROUP BY make, model HAVING count(*) BETWEEN 40 AND 400 ORDER BY count(*) DESC, make, model LIMIT 1
            """, conn);
        await using var reader = await cmd.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        return (reader.GetString(0), reader.GetString(1));
    }

    /// <summary>Records a view on the user's behalf and waits until every pipeline applied it and the worker refreshed their list.</summary>
    private static async Task ViewAndWaitForRefreshAsync(HttpClient admin, string cs, long userId, long listingId)
    {
        var eventId = Guid.NewGuid();
        using var response = await admin.PostAsJsonAsync($"/api/admin/users/{userId}/events", new { eventId, listingId, type = "view" });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.True(await Db.EventuallyAsync(async () =>
            await Db.ScalarAsync<long>(cs, "SELECT count(*) FROM processed_events WHERE event_id = $1", eventId) == Core.Events.EventTopology.PipelineQueues.Length,
            Patience), "the pipelines did not apply the view in time");
        Assert.True(await Db.EventuallyAsync(async () => await Db.ScalarAsync<bool>(cs, """
            SELECT EXISTS (SELECT 1 FROM recommendations r JOIN users u ON u.id = r.user_id
                           WHERE r.user_id = $1 AND r.vectors_as_of = u.vectors_updated_at
                             AND r.computed_at >= (SELECT max(processed_at) FROM processed_events WHERE event_id = $2))
            """, userId, eventId), Patience), "the worker did not refresh the list after the view");
    }
}
