using CarRecommender.Core.Domain;
using CarRecommender.Core.Evaluation;
using CarRecommender.Core.Learning;
using CarRecommender.Core.Seeding;

namespace CarRecommender.Core.Tests;

public class OfflineEvaluationTests
{
    private static readonly DateTimeOffset AsOf = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static List<Listing> Catalogue(int n)
    {
        var listings = new CatalogueGenerator(7, AsOf).Listings(n).ToList();
        for (var i = 0; i < listings.Count; i++) listings[i].Id = i + 1;
        return listings;
    }

    [Fact]
    public void Als_beats_popularity_and_item_knn_on_a_generated_log()
    {
        var log = SyntheticLog.Create(users: 2500, listings: 5000, seed: 11);
        var split = DataSplit.Create(log, new SplitOptions(SplitProtocol.PerUser, 0.2, Seed: 11));
        var results = Evaluator.Run(split, [new PopularityRecommender(), new ItemKnnRecommender(), new AlsRecommender(new AlsOptions())], k: 10)
            .ToDictionary(r => r.Name, r => r.Metrics);
        var als = results["ALS"].Ndcg;
        var popularity = results["most-popular"].Ndcg;
        var knn = results["item-kNN"].Ndcg;
        Assert.True(als > 1.2 * knn && als > 2 * popularity, $"NDCG@10: ALS {als:F4}, item-kNN {knn:F4}, most-popular {popularity:F4}");
    }

    [Fact]
    public void The_production_hybrid_is_evaluated_with_the_same_ranking_code_and_beats_popularity()
    {
        var (log, catalogue) = SyntheticLog.CreateWithCatalogue(users: 1500, listings: 3000, seed: 13);
        var features = ListingFeatures.Of(catalogue);
        var split = DataSplit.Create(log, new SplitOptions(SplitProtocol.PerUser, 0.2, Seed: 13));
        var results = Evaluator.Run(split, [new PopularityRecommender(), new HybridRecommender(new AlsOptions(), features)], k: 10)
            .ToDictionary(r => r.Name, r => r.Metrics);
        Assert.True(results["hybrid"].Ndcg > 2 * results["most-popular"].Ndcg,
            $"NDCG@10: hybrid {results["hybrid"].Ndcg:F4}, most-popular {results["most-popular"].Ndcg:F4}");
        Assert.True(results["hybrid"].Coverage > results["most-popular"].Coverage, "the hybrid covers more of the catalogue");
    }

    [Fact]
    public void Generated_events_are_deterministic_for_a_seed()
    {
        var listings = Catalogue(300);
        IEnumerable<(long, long, InteractionType, DateTimeOffset)> Run()
        {
            var generator = new InteractionGenerator(3, AsOf);
            return generator.Events(listings, generator.Shoppers(listings, [1, 2, 3, 4, 5]))
                .Select(e => (e.UserId, e.ListingId, e.Type, e.OccurredAt));
        }
        Assert.Equal(Run(), Run());
    }

    [Fact]
    public void Shoppers_mostly_view_listings_of_their_hidden_taste_with_a_realistic_mix_of_event_types()
    {
        var listings = Catalogue(2000);
        var byId = listings.ToDictionary(l => l.Id);
        var generator = new InteractionGenerator(5, AsOf);
        var shoppers = generator.Shoppers(listings, Enumerable.Range(1, 200).Select(u => (long)u)).ToDictionary(s => s.UserId);
        var events = generator.Events(listings, [.. shoppers.Values]).ToList();

        var views = events.Where(e => e.Type == InteractionType.View).ToList();
        var onTaste = views.Count(e => shoppers[e.UserId].Taste is var t && byId[e.ListingId].BodyType is var b && (b == t.Body || b == t.SecondBody));
        Assert.True(onTaste > 0.75 * views.Count, $"{onTaste} of {views.Count} views match the shopper's body types");

        var counts = events.GroupBy(e => e.Type).ToDictionary(g => g.Key, g => g.Count());
        Assert.True(counts[InteractionType.View] > counts[InteractionType.Save], "more views than saves");
        Assert.True(counts[InteractionType.Save] > counts[InteractionType.Contact], "more saves than contacts");
        Assert.True(counts.GetValueOrDefault(InteractionType.Dismiss) > 0, "some dismisses");
        Assert.All(events, e => Assert.InRange(e.OccurredAt, AsOf.AddDays(-InteractionGenerator.HistoryDays), AsOf));
    }
}
