using System.Net.Http.Json;
using System.Text.Json;

namespace CarRecommender.EndToEnd.Tests;

/// <summary>"Because you viewed": a listing's similar list blends content neighbours with the car-model "also viewed" links.</summary>
[Collection(AppCollection.Name)]
public sealed class SimilarTests(AppFixture fixture)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private sealed record Listing(long Id, string Make, string Model, string Status);
    private sealed record Similar(Listing Listing, double Similarity, double Score, string Source, string Reason);

    [Fact]
    public async Task A_listing_whose_model_has_links_gets_cars_of_linked_models_that_people_also_viewed()
    {
        var cs = await fixture.ConnectionStringAsync("carrecommender");
        Assert.True(await Db.EventuallyAsync(async () => await Db.ScalarAsync<long>(cs, "SELECT count(*) FROM car_model_links") > 0, TimeSpan.FromMinutes(4)),
            "the worker's start-up retrain should store car-model links");
        // an active listing of the model with the strongest link to a model that has active listings
        var id = await Db.ScalarAsync<long>(cs, """
            SELECT l.id FROM car_model_links k JOIN listings l ON l.car_model = k.car_model AND l.status = 'Active'
            WHERE k.model_version_id = (SELECT max(model_version_id) FROM car_model_links)
              AND EXISTS (SELECT 1 FROM listings r WHERE r.car_model = k.related AND r.status = 'Active')
            ORDER BY k.weight DESC, l.id LIMIT 1
            """);
        var linked = await Db.ScalarAsync<string[]>(cs,
            "SELECT array_agg(DISTINCT related) FROM car_model_links WHERE car_model = (SELECT car_model FROM listings WHERE id = $1)", id);

        using var api = fixture.Api();
        var listing = (await api.GetFromJsonAsync<Listing>($"/api/listings/{id}", Json))!;
        var similar = (await api.GetFromJsonAsync<List<Similar>>($"/api/listings/{id}/similar?limit=20", Json))!;
        Assert.Equal(20, similar.Count);
        Assert.DoesNotContain(similar, s => s.Listing.Id == id);
        Assert.All(similar, s => Assert.Equal("Active", s.Listing.Status));
        Assert.Equal(similar.Select(s => s.Score).OrderDescending(), similar.Select(s => s.Score));
        Assert.All(similar, s => Assert.Contains(s.Source, new[] { "content", "also-viewed" }));
        Assert.All(similar.Where(s => s.Source == "content"), s => Assert.StartsWith("Similar ", s.Reason, StringComparison.Ordinal));

        var alsoViewed = similar.Where(s => s.Source == "also-viewed").ToList();
        Report.Line($"[similar] {listing.Make} {listing.Model}: {alsoViewed.Count} of 20 also-viewed ("
                    + string.Join(", ", alsoViewed.Select(s => $"{s.Listing.Make} {s.Listing.Model}").Distinct()) + ")");
        Assert.Contains(alsoViewed, s => linked.Contains($"{s.Listing.Make} {s.Listing.Model}")
                                         && s.Reason == $"People who viewed the {listing.Make} {listing.Model} also viewed the {s.Listing.Make} {s.Listing.Model}");
        Assert.All(alsoViewed, s => Assert.Contains($"{s.Listing.Make} {s.Listing.Model}", linked));
    }
}
