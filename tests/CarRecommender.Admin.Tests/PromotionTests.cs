using System.Net;
using System.Text.Json;
using Bunit;
using CarRecommender.Admin.Api;
using CarRecommender.Admin.Components.Pages;
using CarRecommender.Contracts;
using Microsoft.Extensions.DependencyInjection;

namespace CarRecommender.Admin.Tests;

/// <summary>A listing's promotion on its page: the state it is in, and the buttons that change it through the API.</summary>
public sealed class PromotionTests : MudContext
{
    private static readonly DateTimeOffset Now = new(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);

    private readonly FakeApi _api = new();

    public PromotionTests() => FakeApi.ForListingPage(this, _api, new FixedClock(Now));

    [Fact]
    public void Promote_for_7_days_and_end_promotion_call_the_api_and_the_page_shows_the_new_state()
    {
        // a promotion that ended yesterday is no promotion
        var listing = Detail(promotedUntil: Now.AddDays(-1));
        _api.Respond = (method, path) => (method.Method, path) switch
        {
            ("GET", "/api/admin/listings/5") => FakeApi.Json(listing),
            ("GET", "/api/listings/5/similar?limit=8") => FakeApi.Json(new List<SimilarListingDto>()),
            ("GET", "/api/admin/listings/5/price-history") => FakeApi.Json(new List<PriceChangeDto>()),
            ("PUT", "/api/admin/listings/5/promotion") => FakeApi.Json(new PromotionDto(5, Now.AddDays(7))),
            ("DELETE", "/api/admin/listings/5/promotion") => new HttpResponseMessage(HttpStatusCode.NoContent),
            _ => new HttpResponseMessage(HttpStatusCode.NotFound),
        };
        var cut = Render<ListingPage>(p => p.Add(c => c.Id, 5L));
        cut.WaitForElement("[data-testid=promotion]");
        Assert.Equal("false", cut.Find("[data-testid=promotion]").GetAttribute("data-promoted"));
        Assert.Equal("not promoted", cut.Find("[data-testid=promotion-state]").TextContent.Trim());
        Assert.Empty(cut.FindAll("#end-promotion"));
        Assert.Contains("Dealer · seller-42", cut.Markup, StringComparison.Ordinal);

        cut.Find("#promote").Click();

        cut.WaitForAssertion(() => Assert.Equal("true", cut.Find("[data-testid=promotion]").GetAttribute("data-promoted")));
        var put = Assert.Single(_api.Requests, r => r.Method == HttpMethod.Put);
        Assert.Equal("/api/admin/listings/5/promotion", put.PathAndQuery);
        Assert.Equal(FakeApi.Token, put.Token);
        Assert.Equal(Now.AddDays(7), JsonSerializer.Deserialize<SetPromotionDto>(put.Body!, JsonSerializerOptions.Web)!.Until);
        Assert.Contains("promoted until " + Now.AddDays(7).ToLocalTime().ToString("g"), cut.Find("[data-testid=promotion-state]").TextContent, StringComparison.Ordinal);

        cut.Find("#end-promotion").Click();

        cut.WaitForAssertion(() => Assert.Equal("false", cut.Find("[data-testid=promotion]").GetAttribute("data-promoted")));
        Assert.Contains(_api.Requests, r => r.Method == HttpMethod.Delete && r.PathAndQuery == "/api/admin/listings/5/promotion" && r.Token == FakeApi.Token);
        Assert.Equal("not promoted", cut.Find("[data-testid=promotion-state]").TextContent.Trim());
        Assert.Empty(cut.FindAll("[data-testid=promotion-error]"));
    }

    [Fact]
    public void A_promotion_the_api_refuses_shows_why_and_leaves_the_state_as_it_was()
    {
        _api.Respond = (method, path) => (method.Method, path) switch
        {
            ("GET", "/api/admin/listings/5") => FakeApi.Json(Detail(promotedUntil: null)),
            ("PUT", "/api/admin/listings/5/promotion") => FakeApi.Json(new { title = "Conflict", status = 409, detail = "Listing 5 is sold: only active listings are promoted." },
                HttpStatusCode.Conflict),
            _ => FakeApi.Json(Array.Empty<object>()),
        };
        var cut = Render<ListingPage>(p => p.Add(c => c.Id, 5L));
        cut.WaitForElement("#promote").Click();

        cut.WaitForAssertion(() => Assert.Contains("Listing 5 is sold: only active listings are promoted.", cut.Find("[data-testid=promotion-error]").TextContent,
            StringComparison.Ordinal));
        Assert.Equal("false", cut.Find("[data-testid=promotion]").GetAttribute("data-promoted"));
    }

    private static AdminListingDetailDto Detail(DateTimeOffset? promotedUntil) =>
        new(new AdminListingDto(5, "Volkswagen", "Golf", 2019, 15_000, 60_000, "Petrol", "Hatchback", "Berlin", "Active", 10, 2, 1),
            "Manual", 85, "Blue", "Dealer", Now.AddDays(-30), null, false, 13, promotedUntil, "seller-42");

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
