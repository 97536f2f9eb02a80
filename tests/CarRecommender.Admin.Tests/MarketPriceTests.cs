using System.Net;
using Bunit;
using CarRecommender.Admin.Components.Pages;
using CarRecommender.Contracts;

namespace CarRecommender.Admin.Tests;

/// <summary>Market prices in the console: the listing page's rating chip, and the Market prices page with its job.</summary>
public sealed class MarketPriceTests : MudContext
{
    private static readonly DateTimeOffset Now = new(2026, 12, 4, 8, 0, 0, TimeSpan.Zero);

    private readonly FakeApi _api = new();

    public MarketPriceTests() => FakeApi.ForListingPage(this, _api, TimeProvider.System);

    [Fact]
    public void A_listing_rated_a_great_deal_shows_a_green_chip_with_the_estimate_its_interval_and_the_reason()
    {
        var market = new MarketPriceDto(24_500, 22_000, 27_300, "CHF", -0.14, "great", "CHF 3,400 below similar cars", 3);
        _api.Respond = (method, path) => path switch
        {
            "/api/admin/listings/5" => FakeApi.Json(Detail(market)),
            "/api/listings/5/similar?limit=8" => FakeApi.Json(new List<SimilarListingDto>()),
            "/api/admin/listings/5/price-history" => FakeApi.Json(new List<PriceChangeDto>()),
            _ => new HttpResponseMessage(HttpStatusCode.NotFound),
        };

        var cut = Render<ListingPage>(p => p.Add(c => c.Id, 5L));

        cut.WaitForAssertion(() => Assert.Equal("great", cut.Find("[data-testid=market-price]").GetAttribute("data-rating")));
        var chip = cut.Find("[data-testid=deal-rating]");
        Assert.Equal("Great deal", chip.TextContent.Trim());
        Assert.Contains("mud-chip-color-success", chip.ClassName, StringComparison.Ordinal);
        var text = cut.Find("[data-testid=market-price]").TextContent;
        Assert.Contains("market price CHF 24,500", text, StringComparison.Ordinal);
        Assert.Contains("CHF 22,000 – CHF 27,300", text, StringComparison.Ordinal);
        Assert.Contains("CHF 3,400 below similar cars", text, StringComparison.Ordinal);
        Assert.Contains("CHF model v3", text, StringComparison.Ordinal);
    }

    [Fact]
    public void The_market_prices_page_shows_each_markets_metrics_against_the_baseline_and_runs_the_price_model_job()
    {
        JobDto? job = null;
        var markets = new List<PriceMarketDto> { Market("EUR", 1) };
        _api.Respond = (method, path) => (method.Method, path) switch
        {
            ("GET", "/api/admin/price-models") => FakeApi.Json(markets),
            ("GET", "/api/admin/jobs?kind=price-model&limit=1") => FakeApi.Json(job is null ? new List<JobDto>() : [job]),
            ("POST", "/api/admin/jobs") => FakeApi.Json(job = Job(JobStates.Queued, "waiting for the worker", 0), HttpStatusCode.Accepted),
            _ => new HttpResponseMessage(HttpStatusCode.NotFound),
        };

        var cut = Render<MarketPrices>();

        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=market]")));
        var metrics = cut.Find("[data-market=EUR] [data-testid=metrics]").TextContent;
        Assert.Contains("median APE", metrics, StringComparison.Ordinal);
        Assert.Contains("6.0 %", metrics, StringComparison.Ordinal);
        Assert.Contains("14.0 %", metrics, StringComparison.Ordinal);
        Assert.Contains("great: 40", cut.Find("[data-market=EUR] [data-testid=ratings]").TextContent, StringComparison.Ordinal);
        Assert.Equal(2, cut.FindAll("[data-market=EUR] [data-testid=versions] tbody tr").Count);

        cut.Find("#price-model").Click();
        cut.WaitForAssertion(() => Assert.Equal("true", cut.Find("[data-testid=price-model-job]").GetAttribute("data-running")));
        var post = Assert.Single(_api.Requests, r => r.Method == HttpMethod.Post);
        Assert.Contains("price-model", post.Body, StringComparison.Ordinal);
        Assert.Equal(FakeApi.Token, post.Token);

        // the worker reports progress, then a new version per market: the page follows and reloads the models
        job = job! with { State = JobStates.Running, Stage = "EUR market: 3 folds and the final model", Percent = 50, StartedAt = Now };
        cut.WaitForAssertion(() => Assert.Contains("(50 %)", cut.Find("[data-testid=price-model-job]").TextContent, StringComparison.Ordinal),
            TimeSpan.FromSeconds(5));
        markets = [Market("EUR", 2), Market("CHF", 1)];
        job = job with { State = JobStates.Done, Stage = "done", Percent = 100, Result = "EUR v2: 20,000 listings", FinishedAt = Now.AddSeconds(12) };
        cut.WaitForAssertion(() =>
        {
            Assert.Contains("EUR v2: 20,000 listings", cut.Find("[data-testid=price-model-job] .mud-alert").TextContent, StringComparison.Ordinal);
            Assert.Equal(2, cut.FindAll("[data-testid=market]").Count);
        }, TimeSpan.FromSeconds(5));
    }

    private static PriceMarketDto Market(string currency, int version)
    {
        var versions = Enumerable.Range(1, version + 1).Reverse().Select(v => new PriceModelDto(v, currency, v, Now.AddHours(-v), 20_000, 12.5, "startup",
            Active: v == version + 1, HasModel: true, 3, new PriceAccuracyDto(1_100, 0.06, 0.08), new PriceAccuracyDto(2_300, 0.14, 0.18))).ToList();
        return new PriceMarketDto(currency, versions[0], versions,
            [new("great", 40), new("good", 120), new("fair", 700), new("high", 100), new("overpriced", 40)]);
    }

    private static JobDto Job(string state, string stage, double percent) =>
        new(9, JobKinds.PriceModel, state, stage, percent, null, null, null, "admin@example.com", Now, null, null, Now);

    private static AdminListingDetailDto Detail(MarketPriceDto market) =>
        new(new AdminListingDto(5, "Skoda", "Octavia Combi", 2021, 26_000, 60_000, "Diesel", "Estate", "Zürich", "Active", 10, 2, 1),
            "Automatic", 110, "Grey", "Dealer", Now.AddDays(-30), null, false, 13, null, "garage-3", market);
}
