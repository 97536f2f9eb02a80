using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using CarRecommender.Contracts;

namespace CarRecommender.EndToEnd.Tests;

/// <summary>
/// Market prices and deal ratings through the running system: a Swiss dealer's CHF catalogue is imported, the worker
/// trains the CHF market's model on its own (a new market), and the listings carry an estimate, an interval and a
/// rating in details and search; deal= keeps only listings of that rating or better, in search and recommendations; a
/// re-import that cuts one car's price re-rates it; the admin price-models endpoint shows the model with its metrics;
/// a price-model job trains a new version; a bad deal value is a ProblemDetails naming the field.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class PriceTests(AppFixture fixture)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(5);
    private static readonly SemaphoreSlim Once = new(1, 1);
    private static (string Source, CatalogueFixture File)? _imported;

    /// <summary>The CHF catalogue, imported once for the class, with every active listing of it estimated by the CHF model.</summary>
    private async Task<(string Source, CatalogueFixture File)> ImportedAsync()
    {
        await Once.WaitAsync();
        try
        {
            if (_imported is { } done) return done;
            var file = CatalogueFixtures.SwissDealer();
            var source = $"test-chf-{Guid.NewGuid():N}"[..30];
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var report = await ImportAsync(file.Csv, source);
            Assert.Equal(file.Valid, report.GetProperty("inserted").GetInt64());
            var cs = await fixture.ConnectionStringAsync("carrecommender");
            Assert.True(await Db.EventuallyAsync(async () => await Db.ScalarAsync<long>(cs, """
                SELECT count(*) FROM listings l JOIN listing_prices p ON p.listing_id = l.id
                WHERE l.source = $1 AND p.currency = 'CHF'
                """, source) == file.Valid, Patience), "every imported CHF listing should get an estimate from a CHF model");
            Report.Line($"[prices] {file.Valid} CHF listings imported and estimated by a new CHF model {clock.Elapsed.TotalSeconds:N1} s after the import began");
            _imported = (source, file);
            return _imported.Value;
        }
        finally
        {
            Once.Release();
        }
    }

    [Fact]
    public async Task An_imported_CHF_catalogue_gets_its_own_market_model_and_its_listings_an_estimate_interval_and_rating()
    {
        var (source, _) = await ImportedAsync();
        var cs = await fixture.ConnectionStringAsync("carrecommender");
        using var shopper = fixture.Api(fixture.DemoToken);
        var id = await Db.ScalarAsync<long>(cs, "SELECT id FROM listings WHERE source = $1 ORDER BY id LIMIT 1", source);

        var details = await shopper.GetFromJsonAsync<JsonElement>($"/api/listings/{id}", Json);
        var market = details.GetProperty("market");
        Assert.Equal("CHF", market.GetProperty("currency").GetString());
        var (estimate, low, high) = (market.GetProperty("estimate").GetDouble(), market.GetProperty("low").GetDouble(), market.GetProperty("high").GetDouble());
        Assert.True(low <= estimate && estimate <= high && low > 0, $"interval {low}–{high} around {estimate}");
        var asking = details.GetProperty("askingPrice").GetInt32();
        Assert.Equal((asking - estimate) / estimate, market.GetProperty("deviation").GetDouble(), 2);
        Assert.Equal(Rating(market.GetProperty("deviation").GetDouble()), market.GetProperty("rating").GetString());
        Assert.StartsWith("CHF ", market.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.True(market.GetProperty("modelVersion").GetInt32() >= 1);

        // search results carry the same object
        var make = Uri.EscapeDataString(details.GetProperty("make").GetString()!);
        var model = Uri.EscapeDataString(details.GetProperty("model").GetString()!);
        var page = await shopper.GetFromJsonAsync<ListingPage>($"/api/listings?make={make}&model={model}&pageSize=100", Json);
        var found = Assert.Single(page!.Items, i => i.Id == id);
        Assert.Equal(market.GetProperty("estimate").GetDouble(), found.Market!.Estimate);

        // similar listings carry it too (their neighbours are CHF or EUR cars, both markets estimated)
        var similar = await shopper.GetFromJsonAsync<List<SimilarListingDto>>($"/api/listings/{id}/similar?limit=10", Json);
        Assert.NotEmpty(similar!);
        Assert.All(similar!, s => Assert.NotNull(s.Listing.Market));

        // the admin view of the listing, and the CHF market's active model with its cross-validated metrics beside the baseline's
        using var admin = fixture.Api(fixture.AdminToken);
        var adminListing = await admin.GetFromJsonAsync<AdminListingDetailDto>($"/api/admin/listings/{id}", Json);
        Assert.Equal(market.GetProperty("rating").GetString(), adminListing!.Market?.Rating);
        Assert.Equal(market.GetProperty("estimate").GetDouble(), adminListing.Market!.Estimate);
        var markets = await admin.GetFromJsonAsync<List<PriceMarketDto>>("/api/admin/price-models", Json);
        var chf = Assert.Single(markets!, m => m.Market == "CHF");
        Assert.NotNull(chf.Active);
        Assert.True(chf.Active.HasModel);
        Assert.True(chf.Active.Rows >= 300, $"{chf.Active.Rows} rows");
        Assert.True(chf.Active.Folds >= 2);
        Assert.True(chf.Active.Model!.MedianApe is > 0 and < 0.25, $"median APE {chf.Active.Model.MedianApe}");
        Assert.True(chf.Active.Baseline!.MedianApe > 0);
        Assert.Equal(await Db.ScalarAsync<long>(cs, "SELECT count(*) FROM listing_prices WHERE currency = 'CHF'"), chf.Ratings.Sum(r => r.Listings));
        Assert.True(chf.Ratings.Single(r => r.Rating == "great").Listings >= 10, "the planted bargains should be rated great");
        Assert.Contains(markets!, m => m.Market == "EUR" && m.Active is not null);
        // the demo catalogue's market, trained by the worker at start-up in the background
        var startup = markets!.Single(m => m.Market == "EUR").Versions.Single(v => v.Version == 1);
        Assert.Equal("startup", startup.Trigger);
        Report.Line($"[prices] CHF v{chf.Active.Version}: median APE {chf.Active.Model.MedianApe:P1} against the baseline's {chf.Active.Baseline.MedianApe:P1}, "
            + $"{chf.Active.TrainingSeconds:N1} s; EUR at start-up: {startup.Rows:N0} listings, {startup.Folds} folds, {startup.TrainingSeconds:N1} s, "
            + $"median APE {startup.Model!.MedianApe:P1} against the baseline's {startup.Baseline!.MedianApe:P1}");
    }

    [Fact]
    public async Task The_deal_filter_keeps_only_that_rating_or_better_in_search_and_recommendations()
    {
        await ImportedAsync();
        using var shopper = fixture.Api(fixture.DemoToken);
        var great = await shopper.GetFromJsonAsync<ListingPage>("/api/listings?deal=great&pageSize=100", Json);
        Assert.NotEmpty(great!.Items);
        Assert.All(great.Items, i => Assert.Equal("great", i.Market?.Rating));
        var good = await shopper.GetFromJsonAsync<ListingPage>("/api/listings?deal=good&pageSize=100&sort=price", Json);
        Assert.All(good!.Items, i => Assert.Contains(i.Market?.Rating, new[] { "great", "good" }));
        Assert.True(good.Total > great.Total, $"good or better ({good.Total}) should include every great deal ({great.Total}) and more");
        var chfGreat = await shopper.GetFromJsonAsync<ListingPage>("/api/listings?deal=great&make=Toyota&pageSize=100", Json);
        Assert.All(chfGreat!.Items, i => Assert.Equal("great", i.Market?.Rating));

        var recommendations = await shopper.GetFromJsonAsync<JsonElement>("/api/users/me/recommendations?deal=good&limit=10", Json);
        var items = recommendations.GetProperty("items").EnumerateArray().ToList();
        Assert.NotEmpty(items);
        Assert.All(items, i => Assert.Contains(i.GetProperty("listing").GetProperty("market").GetProperty("rating").GetString(), new[] { "great", "good" }));
    }

    [Fact]
    public async Task A_car_repriced_by_a_re_import_is_re_rated_under_the_active_model()
    {
        var (source, file) = await ImportedAsync();
        var cs = await fixture.ConnectionStringAsync("carrecommender");
        var lines = file.Csv.TrimEnd('\n').Split('\n');
        // a car rated fair or high: a third off its price makes it a great deal
        var candidates = await Db.ScalarAsync<string>(cs, """
            SELECT string_agg(l.external_id, ',') FROM listings l JOIN listing_prices p ON p.listing_id = l.id
            WHERE l.source = $1 AND p.deviation BETWEEN -0.02 AND 0.08
            """, source);
        var externalId = candidates.Split(',')[0];
        var id = await Db.ScalarAsync<long>(cs, "SELECT id FROM listings WHERE source = $1 AND external_id = $2", source, externalId);
        using var shopper = fixture.Api(fixture.DemoToken);
        var before = (await shopper.GetFromJsonAsync<JsonElement>($"/api/listings/{id}", Json)).GetProperty("market");

        var repriced = lines.Select(l => l.StartsWith(externalId + ";", StringComparison.Ordinal) ? Cut(l) : l);
        var report = await ImportAsync(string.Join('\n', repriced) + "\n", source);
        Assert.Equal(1, report.GetProperty("updated").GetInt64());

        JsonElement after = default;
        Assert.True(await Db.EventuallyAsync(async () =>
        {
            after = (await shopper.GetFromJsonAsync<JsonElement>($"/api/listings/{id}", Json)).GetProperty("market");
            return after.GetProperty("rating").GetString() == "great";
        }, Patience), $"the repriced car should be rated great: before {before}, after {after}");
        Assert.True(after.GetProperty("deviation").GetDouble() < before.GetProperty("deviation").GetDouble() - 0.25);
        Assert.Contains("below similar cars", after.GetProperty("reason").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_price_model_job_trains_a_new_version_of_each_market_and_reports_it()
    {
        await ImportedAsync();
        using var admin = fixture.Api(fixture.AdminToken);
        var before = (await admin.GetFromJsonAsync<List<PriceMarketDto>>("/api/admin/price-models", Json))!.Single(m => m.Market == "CHF").Active!.Version;
        JobDto? job = null;
        Assert.True(await Db.EventuallyAsync(async () =>
        {
            using var response = await admin.PostAsJsonAsync("/api/admin/jobs", new { kind = JobKinds.PriceModel });
            if (response.StatusCode == HttpStatusCode.Conflict) return false;
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            job = await response.Content.ReadFromJsonAsync<JobDto>(Json);
            return true;
        }, Patience), "a price-model job should be accepted");
        Assert.True(await Db.EventuallyAsync(async () =>
        {
            job = await admin.GetFromJsonAsync<JobDto>($"/api/admin/jobs/{job!.Id}", Json);
            return !job!.Active;
        }, Patience), $"the price-model job is still {job?.State} ({job?.Stage})");
        Assert.True(job!.State == JobStates.Done, $"{job.State}: {job.Error}");
        Assert.Contains("CHF v", job.Result, StringComparison.Ordinal);
        var chf = (await admin.GetFromJsonAsync<List<PriceMarketDto>>("/api/admin/price-models", Json))!.Single(m => m.Market == "CHF");
        Assert.True(chf.Active!.Version > before);
        Assert.Equal("admin", chf.Active.Trigger);
        Assert.Single(chf.Versions, v => v.Active);
        Report.Line($"[prices] price-model job: {job.Result} ({(job.FinishedAt - job.StartedAt)?.TotalSeconds:N1} s, "
            + $"queued {(job.StartedAt - job.CreatedAt)?.TotalSeconds:N1} s)");
    }

    [Fact]
    public async Task A_bad_deal_value_is_a_problem_naming_the_field()
    {
        using var shopper = fixture.Api(fixture.DemoToken);
        foreach (var path in new[] { "/api/listings?deal=cheap", "/api/users/me/recommendations?deal=overpriced" })
        {
            using var response = await shopper.GetAsync(path);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Json);
            Assert.Contains("great, good, fair", problem.GetProperty("errors").GetProperty("deal")[0].GetString(), StringComparison.Ordinal);
        }
    }

    private static string Rating(double deviation) => deviation switch
    {
        <= -0.10 => "great",
        <= -0.05 => "good",
        < 0.05 => "fair",
        < 0.10 => "high",
        _ => "overpriced",
    };

    /// <summary>The row with its price (the tenth column) a third lower.</summary>
    private static string Cut(string line)
    {
        var cells = line.Split(';');
        cells[9] = Math.Round(double.Parse(cells[9], System.Globalization.CultureInfo.InvariantCulture) * 2 / 3).ToString(System.Globalization.CultureInfo.InvariantCulture);
        return string.Join(';', cells);
    }

    private async Task<JsonElement> ImportAsync(string csv, string source)
    {
        using var admin = fixture.Api(fixture.AdminToken);
        using var response = await admin.PostAsync($"/api/admin/listings/import?source={source}", new StringContent(csv, Encoding.UTF8, "text/csv"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return JsonSerializer.Deserialize<JsonElement>(text, Json);
    }

    private sealed record ListingPage(List<ListingSummaryDto> Items, long Total);
}
