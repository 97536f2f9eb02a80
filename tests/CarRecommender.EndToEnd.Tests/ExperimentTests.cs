using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CarRecommender.Contracts;

namespace CarRecommender.EndToEnd.Tests;

/// <summary>
/// An online experiment through the running system: 2,000 simulated shoppers arrive with tokens of the marketplace's
/// identity provider (each provisioned on first sight), are served their variant's lists by the configured shares, click
/// and contact from those lists, and the read-out counts exactly that with intervals and a test against the control.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class ExperimentTests(AppFixture fixture)
{
    private const int Shoppers = 2_000;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    [Fact]
    public async Task An_experiment_splits_simulated_shoppers_by_share_and_counts_their_clicks_and_contacts_per_variant()
    {
        using var admin = fixture.Api(fixture.AdminToken);
        var name = "e2e-split-" + Guid.NewGuid().ToString("N")[..8];
        using var settings = JsonDocument.Parse("""{"ranking": {"lambda": 0.8}, "rules": {"maxPerSeller": 2}}""");
        using var created = await admin.PostAsJsonAsync("/api/admin/experiments", new CreateExperimentDto(name, "split and read-out",
            [new ExperimentVariantDto("control", 0.3, null), new ExperimentVariantDto("diverse", 0.7, settings.RootElement)]), Json);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var experiment = (await created.Content.ReadFromJsonAsync<ExperimentDto>(Json))!;
        Assert.Equal(ExperimentStates.Draft, experiment.State);

        // shares that do not add up are refused, naming the sum
        using var bad = await admin.PostAsJsonAsync("/api/admin/experiments", new CreateExperimentDto(name + "-bad", null,
            [new ExperimentVariantDto("a", 0.5, null), new ExperimentVariantDto("b", 0.6, null)]), Json);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("add up to 1.1", await bad.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var started = await admin.PostAsync($"/api/admin/experiments/{experiment.Id}/start", null);
        Assert.Equal(HttpStatusCode.OK, started.StatusCode);
        try
        {
            var served = new ConcurrentBag<(string Variant, RecommendationsDto List, string Token)>();
            await Parallel.ForEachAsync(Enumerable.Range(1, Shoppers), new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (i, ct) =>
            {
                var subject = $"{name}-shopper-{i}";
                var token = fixture.ExternalToken(subject, subject + "@shoppers.example", null);
                using var api = fixture.Api(token);
                var list = (await api.GetFromJsonAsync<RecommendationsDto>("/api/users/me/recommendations?limit=5", Json, ct))!;
                served.Add((list.Variant!, list, token));
            });
            Assert.All(served, s => Assert.Equal(name, s.List.Experiment));
            var control = served.Where(s => s.Variant == "control").ToList();
            var diverse = served.Where(s => s.Variant == "diverse").ToList();
            Assert.Equal(Shoppers, control.Count + diverse.Count);
            Assert.InRange(control.Count / (double)Shoppers, 0.27, 0.33);

            // clicks (views carrying the list's id) and contacts: 40 control lists clicked, 10 of them contacted; 120 and 50 for the other
            await ActAsync(control.Take(40), contact: 10);
            await ActAsync(diverse.Take(120), contact: 50);

            var results = (await admin.GetFromJsonAsync<ExperimentResultsDto>($"/api/admin/experiments/{experiment.Id}/results", Json))!;
            var c = results.Variants.Single(v => v.Name == "control");
            var d = results.Variants.Single(v => v.Name == "diverse");
            Assert.Equal(control.Count, c.Lists);
            Assert.Equal(diverse.Count, d.Lists);
            Assert.Equal(control.Count, c.Users);
            Assert.Equal((40L, 10L, 40L, 10L), (c.Clicks, c.Contacts, c.ClickThrough.Successes, c.ContactRate.Successes));
            Assert.Equal((120L, 50L, 120L, 50L), (d.Clicks, d.Contacts, d.ClickThrough.Successes, d.ContactRate.Successes));
            foreach (var rate in new[] { c.ClickThrough, c.ContactRate, d.ClickThrough, d.ContactRate })
            {
                // the API gives rates to 5 decimals
                Assert.Equal(rate.Successes / (double)rate.Trials, rate.Rate, 0.000005 + 1e-12);
                Assert.True(rate.Low < rate.Rate && rate.Rate < rate.High, $"{rate.Low} < {rate.Rate} < {rate.High}");
            }
            Assert.Null(c.ClickThroughPValue);
            Assert.InRange(d.ClickThroughPValue!.Value, 0, 1);
            Assert.InRange(d.ContactRatePValue!.Value, 0, 1);

            // one experiment at a time
            using var another = await admin.PostAsJsonAsync("/api/admin/experiments", new CreateExperimentDto(name + "-2", null,
                [new ExperimentVariantDto("a", 0.5, null), new ExperimentVariantDto("b", 0.5, null)]), Json);
            var second = (await another.Content.ReadFromJsonAsync<ExperimentDto>(Json))!;
            using var refused = await admin.PostAsync($"/api/admin/experiments/{second.Id}/start", null);
            Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
            Assert.Contains(name, await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        finally
        {
            (await admin.PostAsync($"/api/admin/experiments/{experiment.Id}/stop", null)).Dispose();
        }
        // stopped: lists are no longer served under it
        var after = (await admin.GetFromJsonAsync<ExperimentDto[]>("/api/admin/experiments", Json))!.Single(e => e.Id == experiment.Id);
        Assert.Equal(ExperimentStates.Stopped, after.State);
    }

    /// <summary>Each shopper clicks the first item of their list; the first <paramref name="contact"/> also contact its seller.</summary>
    private async Task ActAsync(IEnumerable<(string Variant, RecommendationsDto List, string Token)> shoppers, int contact)
    {
        var n = 0;
        foreach (var (_, list, token) in shoppers)
        {
            using var api = fixture.Api(token);
            var listingId = list.Items[0].Listing.Id;
            var events = new List<object> { new { listingId, type = "view", recommendationId = list.RecommendationId } };
            if (n++ < contact) events.Add(new { listingId, type = "contact", recommendationId = list.RecommendationId });
            using var response = await api.PostAsJsonAsync("/api/events", events);
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }
    }
}
