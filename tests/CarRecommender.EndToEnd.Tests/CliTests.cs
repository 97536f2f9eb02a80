using System.Diagnostics;
using System.Globalization;
using System.Text;
using Npgsql;

namespace CarRecommender.EndToEnd.Tests;

/// <summary>
/// The worker's command-line verbs, run as the user runs them (a separate process): <c>seed</c> into a fresh database on
/// the app's PostgreSQL, and <c>import</c> both straight into a database and through the running API.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class CliTests(AppFixture fixture)
{
    [Fact]
    public async Task Seed_loads_a_catalogue_with_vectors_and_indexes_and_refuses_to_overwrite_without_reset()
    {
        var cs = await FreshDatabaseAsync();

        var first = await Cli.RunAsync(cs, "seed", "--listings", "1500", "--users", "30", "--seed", "7");
        Assert.True(first.ExitCode == 0, first.Output);
        Assert.Equal(1500L, await Db.ScalarAsync<long>(cs, "SELECT count(*) FROM listings WHERE content_vector IS NOT NULL AND encoder_version > 0"));
        Assert.Equal(30L, await Db.ScalarAsync<long>(cs, "SELECT count(*) FROM users"));
        Assert.Equal(1L, await Db.ScalarAsync<long>(cs, $"SELECT count(*) FROM users WHERE email = '{AppFixture.DemoEmail}' AND role = 'User'"));
        Assert.Equal(1L, await Db.ScalarAsync<long>(cs, $"SELECT count(*) FROM users WHERE email = '{AppFixture.AdminEmail}' AND role = 'Admin'"));
        // the content index was dropped for the load and rebuilt with the migration's parameters; the latent one lives on
        // the factors table (rebuilt by each retrain)
        Assert.Equal(1L, await Db.ScalarAsync<long>(cs, "SELECT count(*) FROM pg_indexes WHERE tablename = 'listings' AND indexdef ILIKE '%USING hnsw%'"));
        Assert.Equal(1L, await Db.ScalarAsync<long>(cs, "SELECT count(*) FROM pg_indexes WHERE tablename = 'listing_factors' AND indexdef ILIKE '%USING hnsw%'"));
        Assert.Contains("m='16'", await Db.ScalarAsync<string>(cs, "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_listings_content_vector'"));
        var checksum = await Db.ScalarAsync<string>(cs, "SELECT md5(string_agg(make || model || year || price, ',' ORDER BY id)) FROM listings");

        var refused = await Cli.RunAsync(cs, "seed", "--listings", "10");
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("--reset", refused.Output, StringComparison.Ordinal);
        Assert.Equal(1500L, await Db.ScalarAsync<long>(cs, "SELECT count(*) FROM listings"));

        // the same seed gives the same catalogue
        var again = await Cli.RunAsync(cs, "seed", "--listings", "1500", "--users", "30", "--seed", "7", "--reset");
        Assert.True(again.ExitCode == 0, again.Output);
        Assert.Equal(checksum, await Db.ScalarAsync<string>(cs, "SELECT md5(string_agg(make || model || year || price, ',' ORDER BY id)) FROM listings"));
    }

    [Theory]
    [InlineData("seed")]
    [InlineData("import")]
    [InlineData("train")]
    [InlineData("bench-recall")]
    [InlineData("bench-api")]
    [InlineData("bench-als")]
    [InlineData("price-model")]
    [InlineData("bench-retrain")]
    [InlineData("admin")]
    [InlineData("evaluate")]
    public async Task Every_verb_prints_its_help(string verb)
    {
        var help = await Cli.RunAsync(null, verb, "--help");
        Assert.True(help.ExitCode == 0, help.Output);
        Assert.Contains("USAGE:", help.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", help.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Evaluate_writes_clean_json_with_the_self_tuned_models_and_beyond_accuracy_metrics()
    {
        var result = await Cli.RunAsync(null, "evaluate", "--generate", "400", "--listings", "600", "--repeat", "2", "--search-seconds", "5", "--json");
        Assert.True(result.ExitCode == 0, result.Output);
        using var json = System.Text.Json.JsonDocument.Parse(result.Output);
        var results = json.RootElement.GetProperty("results").EnumerateArray().ToDictionary(r => r.GetProperty("name").GetString()!);
        // a log with listing features also gets the car-model EASE, alone and inside the hybrid
        Assert.Equal(["most-popular", "item-kNN", "ALS", "EASE", "EASE (car models)", "hybrid"], results.Keys);
        Assert.True(results["EASE (car models)"].GetProperty("metrics").GetProperty("ndcg").GetDouble() > 0);
        foreach (var r in results.Values)
        {
            var m = r.GetProperty("metrics");
            Assert.InRange(m.GetProperty("ndcg").GetDouble(), 0, 1);
            Assert.True(m.GetProperty("novelty").GetDouble() > 0);
            Assert.InRange(m.GetProperty("diversity").GetDouble(), 0, 1);
        }
        Assert.True(results["ALS"].GetProperty("metrics").GetProperty("ndcg").GetDouble() > results["most-popular"].GetProperty("metrics").GetProperty("ndcg").GetDouble());
        var runs = json.RootElement.GetProperty("runs").EnumerateArray().ToArray();
        Assert.Equal(2, runs.Length);
        Assert.Equal([42, 43], runs.Select(r => r.GetProperty("split").GetProperty("seed").GetInt32()));
        Assert.NotEmpty(runs[0].GetProperty("search").GetProperty("trials").EnumerateArray());
    }

    [Fact]
    public async Task Bad_arguments_get_a_clear_error_and_touch_nothing()
    {
        var noDb = await Cli.RunAsync(null, "seed", "--listings", "10");
        Assert.NotEqual(0, noDb.ExitCode);
        Assert.Contains("--connection", noDb.Output, StringComparison.Ordinal);

        var negative = await Cli.RunAsync(null, "seed", "--listings", "-5");
        Assert.NotEqual(0, negative.ExitCode);
        Assert.Contains("--listings", negative.Output, StringComparison.Ordinal);

        var missing = await Cli.RunAsync(null, "import", "--file", "/nonexistent/cars.csv");
        Assert.NotEqual(0, missing.ExitCode);
        Assert.Contains("no such file", missing.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Import_into_a_database_matches_columns_converts_units_and_reports_rejected_rows()
    {
        var cs = await FreshDatabaseAsync();
        var file = await WriteCsvAsync(
            "Manufacturer,Model,Year,Price,Mileage (miles),Transmission,Fuel,Body",
            "Skoda,Octavia,2020,17900,10000,Manual,Diesel,Estate",
            "Toyota,Corolla,2019,15900,20000,Automatic,Hybrid,Hatchback",
            "Toyota,Yaris,2021,-1,5000,Manual,Petrol,Hatchback");
        var result = await Cli.RunAsync(cs, "import", "--file", file);
        Assert.True(result.ExitCode == 0, result.Output);
        Assert.Contains("price", result.Output, StringComparison.Ordinal);
        Assert.Equal(2L, await Db.ScalarAsync<long>(cs, "SELECT count(*) FROM listings WHERE content_vector IS NOT NULL"));
        Assert.Equal(16093, await Db.ScalarAsync<int>(cs, "SELECT mileage_km FROM listings WHERE model = 'Octavia'"));
    }

    [Fact]
    public async Task Import_without_a_database_uploads_to_the_running_api()
    {
        var marker = "Cli" + Guid.NewGuid().ToString("N")[..6];
        var file = await WriteCsvAsync("Hersteller;Modell;Baujahr;Preis;km;Karosserie",
            $"Volkswagen;{marker};2018;14500;61000;Estate", $"Volkswagen;{marker};never;14500;61000;Estate");
        using var api = fixture.Api();
        var result = await Cli.RunAsync(null, "import", "--file", file, "--api", api.BaseAddress!.ToString(), "--token", fixture.AdminToken,
            "--map", "Hersteller=make", "--map", "Modell=model", "--map", "Baujahr=year", "--map", "Preis=price", "--map", "km=mileage", "--map", "Karosserie=body");
        Assert.True(result.ExitCode == 0, result.Output);
        var cs = await fixture.ConnectionStringAsync("carrecommender");
        Assert.Equal(1L, await Db.ScalarAsync<long>(cs, $"SELECT count(*) FROM listings WHERE model = '{marker}' AND mileage_km = 61000"));

        var refused = await Cli.RunAsync(null, "import", "--file", file, "--api", api.BaseAddress!.ToString(), "--token", fixture.DemoToken);
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("403", refused.Output, StringComparison.Ordinal);
        Assert.Equal(1L, await Db.ScalarAsync<long>(cs, $"SELECT count(*) FROM listings WHERE model = '{marker}'"));
    }

    /// <summary>A new, empty database on the app's server (the CLI applies the migrations itself).</summary>
    private async Task<string> FreshDatabaseAsync()
    {
        var main = new NpgsqlConnectionStringBuilder(await fixture.ConnectionStringAsync("carrecommender"));
        var name = "cli_" + Guid.NewGuid().ToString("N")[..10];
        await using (var conn = new NpgsqlConnection(main.ConnectionString))
        {
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE {name}", conn);
            await cmd.ExecuteNonQueryAsync();
        }
        main.Database = name;
        return main.ConnectionString;
    }

    private static async Task<string> WriteCsvAsync(params string[] lines)
    {
        var path = Path.Combine(Path.GetTempPath(), $"carrec-cli-{Guid.NewGuid():N}.csv");
        await File.WriteAllTextAsync(path, string.Join('\n', lines) + "\n", Encoding.UTF8);
        return path;
    }
}
