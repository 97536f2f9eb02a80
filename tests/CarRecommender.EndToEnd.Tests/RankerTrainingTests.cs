using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CarRecommender.Contracts;
using Npgsql;
using NpgsqlTypes;

namespace CarRecommender.EndToEnd.Tests;

/// <summary>
/// The learned ranker through the running system: a simulated population whose users contact the car furthest below
/// its market price in every list they are served (the blend gives deals only a tie-breaker) makes the
/// <c>train-ranker</c> job's model beat the blend offline, so it serves; the API's stored lists are ranked by it within
/// seconds, and shoppers' lists put great deals higher than the blend did.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class RankerTrainingTests(AppFixture fixture)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(4);

    [Fact]
    public async Task A_population_contacting_below_market_cars_makes_the_learned_ranker_win_serve_and_lift_great_deals()
    {
        var cs = await fixture.ConnectionStringAsync("carrecommender");
        using var admin = fixture.Api(fixture.AdminToken);
        var (shopper, token) = fixture.ShopperTokens[18];
        // the worker prices the demo catalogue at start-up, in the background
        Assert.True(await Db.EventuallyAsync(async () => await Db.ScalarAsync<long>(cs, "SELECT count(*) FROM listing_prices") > 1000, Patience),
            "the demo catalogue has no market estimates");
        var compared = fixture.ShopperTokens.Skip(14).Select(s => s.UserId).ToArray();
        var blendLists = await PreviewsAsync(admin, compared);
        var lists = await SimulateAsync(cs, fixture.ShopperTokens.Select(s => s.UserId).ToHashSet());
        try
        {
            var job = await RunAsync(admin);
            Assert.True(job.State == JobStates.Done, $"{job.State}: {job.Error}");
            Assert.Contains("it serves", job.Result, StringComparison.Ordinal);

            var status = (await admin.GetFromJsonAsync<RankerStatusDto>("/api/admin/ranker", Json))!;
            var serving = Assert.IsType<RankerModelDto>(status.Serving);
            Assert.Equal(status.Latest!.Id, serving.Id);
            Assert.Equal("deal-deviation", serving.Importances[0].Feature);
            Assert.True(serving.Comparison.Wins);
            Assert.True(serving.Comparison.Lists >= 30, $"{serving.Comparison.Lists} lists compared");
            Assert.True(serving.Comparison.LearnedNdcg > serving.Comparison.BlendNdcg + 0.01,
                $"learned {serving.Comparison.LearnedNdcg:F3} vs blend {serving.Comparison.BlendNdcg:F3}");

            // the API picks the model up within seconds: the shopper's list is ranked again and stored under its version
            using var api = fixture.Api(token);
            Assert.True(await Db.EventuallyAsync(async () =>
            {
                using var response = await api.GetAsync("/api/users/me/recommendations?limit=10");
                return response.StatusCode == HttpStatusCode.OK
                       && (await Db.ScalarAsync<string>(cs, "SELECT coalesce((SELECT settings FROM recommendations WHERE user_id = $1), '')", shopper))
                       .EndsWith($"-r{serving.Id}", StringComparison.Ordinal);
            }, TimeSpan.FromSeconds(30)), "the stored list was not ranked by the serving model");

            // the same shoppers' lists, now ranked by the model: more great deals at the top, and cheaper against the market
            var learnedLists = await PreviewsAsync(admin, compared);
            var (greatBefore, greatAfter) = (blendLists.Sum(GreatDeals), learnedLists.Sum(GreatDeals));
            var (deviationBefore, deviationAfter) = (MeanDeviation(blendLists), MeanDeviation(learnedLists));
            Assert.True(greatAfter > greatBefore, $"great deals in the top 10 of {compared.Length} lists: learned {greatAfter}, blend {greatBefore}");
            Assert.True(deviationAfter < deviationBefore,
                $"mean market deviation of the top 10: learned {deviationAfter:P1}, blend {deviationBefore:P1}");
        }
        finally
        {
            // the other tests expect the blend: stop serving and take the simulated population away
            await Db.ScalarAsync<int>(cs, "WITH off AS (UPDATE ranker_models SET serving = false WHERE serving RETURNING 1) SELECT count(*)::int FROM off");
            await Db.ScalarAsync<int>(cs, "WITH d AS (DELETE FROM interactions WHERE recommendation_id = ANY($1) RETURNING 1) SELECT count(*)::int FROM d", lists);
            await Db.ScalarAsync<int>(cs, "WITH d AS (DELETE FROM served_lists WHERE id = ANY($1) RETURNING 1) SELECT count(*)::int FROM d", lists);
        }
    }

    /// <summary>The users' top 10 as the admin preview ranks them now (not recorded as served).</summary>
    private static async Task<List<RecommendationsDto>> PreviewsAsync(HttpClient admin, IEnumerable<long> users)
    {
        var lists = new List<RecommendationsDto>();
        foreach (var user in users)
            lists.Add((await admin.GetFromJsonAsync<RecommendationsDto>($"/api/admin/users/{user}/recommendations?limit=10", Json))!);
        return lists;
    }

    private static int GreatDeals(RecommendationsDto list) => list.Items.Count(i => i.Listing.Market?.Rating == "great");

    private static double MeanDeviation(List<RecommendationsDto> lists) =>
        lists.SelectMany(l => l.Items).Where(i => i.Listing.Market is not null).Average(i => i.Listing.Market!.Deviation);

    /// <summary>
    /// 220 lists served 3–9 days ago and 60 in the last day and a half, 10 random estimated listings each, all
    /// impressed: the user contacts the listing furthest below its market price, saves the second, and views one at random.
    /// </summary>
    private static async Task<Guid[]> SimulateAsync(string cs, HashSet<long> shoppers)
    {
        var rng = new Random(7);
        await using var conn = await Db.OpenAsync(cs);
        var listings = new List<(long Id, double Deviation)>();
        await using (var cmd = new NpgsqlCommand("""
            SELECT l.id, p.deviation FROM listings l JOIN listing_prices p ON p.listing_id = l.id
            WHERE l.status = 'Active' ORDER BY l.id LIMIT 3000
            """, conn))
        await using (var reader = await cmd.ExecuteReaderAsync())
            while (await reader.ReadAsync()) listings.Add((reader.GetInt64(0), reader.GetDouble(1)));
        var users = new List<long>();
        await using (var cmd = new NpgsqlCommand("SELECT id FROM users ORDER BY id DESC LIMIT 80", conn))
        await using (var reader = await cmd.ExecuteReaderAsync())
            while (await reader.ReadAsync())
                if (!shoppers.Contains(reader.GetInt64(0))) users.Add(reader.GetInt64(0));

        var now = DateTime.UtcNow;
        var ids = new List<Guid>();
        for (var n = 0; n < 280; n++)
        {
            var id = Guid.NewGuid();
            ids.Add(id);
            var user = users[n % Math.Min(users.Count, 40)];
            var servedAt = n < 220 ? now.AddHours(-72 - rng.Next(0, 144)) : now.AddHours(-1 - rng.Next(0, 35));
            var shown = listings.OrderBy(_ => rng.Next()).Take(10).ToArray();
            var byDeal = shown.OrderBy(l => l.Deviation).ToArray();
            var reactions = new[] { (byDeal[0].Id, "Contact"), (byDeal[1].Id, "Save"), (shown[rng.Next(10)].Id, "View") };
            await using var batch = new NpgsqlBatch(conn)
            {
                BatchCommands =
                {
                    Command("INSERT INTO served_lists (id, user_id, mode, served_at, listing_ids) VALUES ($1, $2, 'live', $3, $4)",
                        id, user, servedAt, shown.Select(l => l.Id).ToArray()),
                    Command("""
                        INSERT INTO impressions (list_id, listing_id, position, user_id, recorded_at)
                        SELECT $1, t.id, t.ord, $2, $3 FROM unnest($4::bigint[]) WITH ORDINALITY AS t(id, ord)
                        """, id, user, servedAt, shown.Select(l => l.Id).ToArray()),
                    Command("""
                        INSERT INTO interactions (event_id, user_id, listing_id, type, occurred_at, recorded_at, recommendation_id)
                        SELECT gen_random_uuid(), $1, t.id, t.type, $2, $2, $3 FROM unnest($4::bigint[], $5::text[]) AS t(id, type)
                        """, user, servedAt.AddMinutes(2), id, reactions.Select(r => r.Item1).ToArray(), reactions.Select(r => r.Item2).ToArray()),
                },
            };
            await batch.ExecuteNonQueryAsync();
        }
        return [.. ids];
    }

    private static NpgsqlBatchCommand Command(string sql, params object[] values)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var v in values)
            command.Parameters.Add(v is DateTime t
                ? new NpgsqlParameter { Value = t, NpgsqlDbType = NpgsqlDbType.TimestampTz }
                : new NpgsqlParameter { Value = v });
        return command;
    }

    private static async Task<JobDto> RunAsync(HttpClient admin)
    {
        JobDto? job = null;
        Assert.True(await Db.EventuallyAsync(async () =>
        {
            using var response = await admin.PostAsJsonAsync("/api/admin/jobs", new { kind = JobKinds.TrainRanker });
            if (response.StatusCode != HttpStatusCode.Accepted) return false;
            job = await response.Content.ReadFromJsonAsync<JobDto>(Json);
            return true;
        }, Patience), "the train-ranker job was not accepted");
        Assert.True(await Db.EventuallyAsync(async () =>
        {
            job = await admin.GetFromJsonAsync<JobDto>($"/api/admin/jobs/{job!.Id}", Json);
            return !job!.Active;
        }, Patience), $"job {job?.Id} still {job?.State} ({job?.Stage})");
        return job!;
    }
}
