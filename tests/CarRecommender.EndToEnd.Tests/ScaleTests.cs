using System.Text.Json;
using Npgsql;

namespace CarRecommender.EndToEnd.Tests;

/// <summary>
/// A retrain above the size where the first design took the catalogue down (it rebuilt the listings' HNSW indexes
/// inside its transaction above 100,000 listings): 150,000 listings in a database of its own on the same server, an API
/// of its own on it, and the retrain benchmark's load (listing reads, stored lists, events) while ALS retrains.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class ScaleTests(AppFixture fixture)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    [Fact]
    public async Task A_retrain_at_150000_listings_fails_no_request_and_the_new_model_serves_every_user_its_fold_in()
    {
        var cs = await fixture.ConnectionStringAsync("carrecommender");
        var scale = new NpgsqlConnectionStringBuilder(cs) { Database = "carrec_scale" }.ConnectionString;
        await using (var conn = await Db.OpenAsync(cs))
        await using (var cmd = new NpgsqlCommand("DROP DATABASE IF EXISTS carrec_scale WITH (FORCE); CREATE DATABASE carrec_scale", conn))
            await cmd.ExecuteNonQueryAsync();

        var seed = await Cli.RunAsync(scale, TimeSpan.FromMinutes(8), "seed", "--listings", "150000", "--users", "3000", "--reset");
        Assert.True(seed.ExitCode == 0, seed.Output);

        // no broker for this API: its accepted events wait in its outbox (the pipelines are not what this test is about)
        var (api, http) = await ServiceProcess.StartApiAsync(scale, "amqp://guest:guest@127.0.0.1:1/", "Development", new Dictionary<string, string?>
        {
            ["Auth__DemoTokens"] = "true",
            ["Seed__OnEmptyDatabase"] = "false",
        });
        using var ownApi = api;
        using var ownHttp = http;

        var bench = await Cli.RunAsync(scale, TimeSpan.FromMinutes(8), "bench-retrain", "--api", http.BaseAddress!.ToString(), "--concurrency", "3",
            "--baseline", "5", "--iterations", "6", "--json");
        Assert.True(bench.ExitCode == 0, bench.Output);
        var result = JsonSerializer.Deserialize<JsonElement>(bench.Output.Split('\n').Last(l => l.TrimStart().StartsWith('{')), Json);
        var (before, during) = (result.GetProperty("before"), result.GetProperty("during"));
        Report.Line($"retrain at {result.GetProperty("listings").GetInt64():N0} listings: {during.GetProperty("requests").GetInt32()} requests during it "
                    + $"({during.GetProperty("seconds").GetDouble():0} s), {during.GetProperty("failed").GetInt32()} failed, "
                    + $"p50 {during.GetProperty("p50Ms").GetDouble():0.0} ms / p99 {during.GetProperty("p99Ms").GetDouble():0.0} ms "
                    + $"(before: p50 {before.GetProperty("p50Ms").GetDouble():0.0} / p99 {before.GetProperty("p99Ms").GetDouble():0.0} ms); "
                    + $"{result.GetProperty("usersChecked").GetInt32()} users' vectors vs a fresh fold-in: largest distance {result.GetProperty("largestDistance").GetDouble():E1}");

        Assert.True(result.GetProperty("listings").GetInt64() >= 150_000);
        Assert.True(during.GetProperty("requests").GetInt32() > 0);
        Assert.True(during.GetProperty("failed").GetInt32() == 0, string.Join("\n", during.GetProperty("failures").EnumerateArray().Take(5)));
        Assert.True(result.GetProperty("newModelServes").GetBoolean());
        Assert.True(result.GetProperty("usersChecked").GetInt32() >= 1000);
        Assert.True(result.GetProperty("largestDistance").GetDouble() < 1e-3);
        Assert.Equal(0L, await Db.ScalarAsync<long>(scale, """
            SELECT count(*) FROM listings l WHERE l.status = 'Active' AND NOT EXISTS (SELECT 1 FROM listing_factors f WHERE f.listing_id = l.id)
            """)); // every active listing has factors, trained or from its content

        await using (var conn = await Db.OpenAsync(cs))
        await using (var cmd = new NpgsqlCommand("DROP DATABASE carrec_scale WITH (FORCE)", conn))
            await cmd.ExecuteNonQueryAsync();
    }
}
