using CarRecommender.Core.Domain;
using CarRecommender.Core.Evaluation;
using CarRecommender.Core.Learning;
using CarRecommender.Core.Recommendation;
using CarRecommender.Core.Recommendation.Ranking;

namespace CarRecommender.Core.Tests;

public class CarModelEaseTests
{
    private static readonly string[] Ring = ["Volkswagen Golf", "Skoda Octavia", "Ford Focus", "Opel Astra"];

    /// <summary>
    /// Eight listings, two of each ring model (listing 2m and 2m+1 are model m); user u has a listing of model u and one
    /// of model u+1 (mod 4), user 3 two listings of model 3 besides: the 4×4 ring of EaseTests at car-model level.
    /// </summary>
    private static (SparseMatrix Matrix, string?[] Models) Listings()
    {
        var models = Enumerable.Range(0, 8).Select(i => (string?)Ring[i / 2]).ToArray();
        var matrix = SparseMatrix.FromTriples(4, 8,
            [(0, 0, 1), (0, 3, 5), (1, 2, 1), (1, 5, 1), (2, 4, 3), (2, 7, 1), (3, 6, 1), (3, 7, 1), (3, 1, 1)]);
        return (matrix, models);
    }

    [Fact]
    public void Listings_map_to_their_car_models_once_per_user_and_unknown_models_are_left_out()
    {
        var (matrix, models) = Listings();
        models[5] = null;
        var (mapped, keys, modelOfItem) = CarModelEase.Map(matrix, models);
        Assert.Equal(Ring, keys);
        Assert.Equal(-1, modelOfItem[5]);
        Assert.Equal(0, modelOfItem[1]);
        // user 3: two listings of Opel Astra count once, plus the Golf
        Assert.Equal([0, 3], mapped.ColumnIndex[mapped.RowStart[3]..mapped.RowStart[4]].Order());
        // user 1's Octavia stays, their listing of unknown model does not appear
        Assert.Equal([1], mapped.ColumnIndex[mapped.RowStart[1]..mapped.RowStart[2]]);
        Assert.All(mapped.Values, v => Assert.Equal(1f, v));
    }

    [Fact]
    public void Links_keep_each_models_positive_weights_as_the_closed_form_gives_them()
    {
        var (matrix, models) = Listings();
        var links = CarModelEase.Train(matrix, models, new EaseOptions(Lambda: 2, MinSupport: 1));
        // the ring's closed form (EaseTests): neighbours 2/7, the opposite model −1/7, which is not kept
        foreach (var (source, i) in Ring.Select((m, i) => (m, i)))
        {
            var kept = links.BySource[source];
            Assert.Equal(2, kept.Count);
            Assert.Equal(new[] { Ring[(i + 1) % 4], Ring[(i + 3) % 4] }.Order(), kept.Select(l => l.Related).Order());
            Assert.All(kept, l => Assert.Equal(2.0 / 7, l.Weight, 5));
        }
        Assert.Single(CarModelEase.Train(matrix, models, new EaseOptions(Lambda: 2, MinSupport: 1), keep: 1).BySource["Ford Focus"]);
    }

    [Fact]
    public void A_users_affinity_sums_the_links_of_their_models_and_names_the_strongest_source()
    {
        var links = new CarModelLinks(new Dictionary<string, IReadOnlyList<CarModelLink>>
        {
            ["Volkswagen Golf"] = [new("Skoda Octavia", 0.4f), new("Ford Focus", 0.1f)],
            ["Seat Leon"] = [new("Skoda Octavia", 0.2f), new("Ford Focus", 0.3f)],
        });
        var affinity = links.For(["Volkswagen Golf", "Seat Leon", "Volkswagen Golf", "Fiat Panda"]);
        Assert.Equal(0.6, affinity.Of("Skoda", "Octavia")!.Value.Score, 5);
        Assert.Equal("Volkswagen Golf", affinity.Of("Skoda", "Octavia")!.Value.Because);
        Assert.Equal(0.4, affinity.Of("Ford", "Focus")!.Value.Score, 5);
        Assert.Equal("Seat Leon", affinity.Of("Ford", "Focus")!.Value.Because);
        Assert.Null(affinity.Of("Fiat", "Panda"));
        Assert.Equal(["Skoda Octavia", "Ford Focus"], affinity.Top(5));
        Assert.True(links.For(["Fiat Panda"]).IsEmpty);
    }

    [Fact]
    public void The_ranker_puts_the_linked_model_first_with_a_reason_naming_both_cars()
    {
        var golf = new HistoryItem(1, "Volkswagen", "Golf", 2019, InteractionType.Save, false, [1, 0], null);
        var links = new CarModelLinks(new Dictionary<string, IReadOnlyList<CarModelLink>> { ["Volkswagen Golf"] = [new("Skoda Octavia", 0.5f), new("Ford Focus", 0.1f)] });
        // no content vector, no factors: the car-model score is the whole collaborative weight
        var user = new UserTaste(null, null, 20, [golf]) { CarModels = links.For(["Volkswagen Golf"]) };
        Candidate Car(long id, string make, string model) => new(id, make, model, 2019, 15_000, BodyType.Hatchback, [1, 0], null, Trending.None, null);
        var ranked = EngineStages.Rank(user, [Car(10, "Fiat", "Panda"), Car(11, "Skoda", "Octavia"), Car(12, "Ford", "Focus")], 3, DateTimeOffset.UnixEpoch);
        Assert.Equal(11, ranked[0].ListingId);
        Assert.Equal(RecommendationSource.CarModel, ranked[0].Source);
        Assert.Equal("People who saved the Volkswagen Golf also looked at the Skoda Octavia", ranked[0].Reason);
        Assert.NotEqual(RecommendationSource.CarModel, ranked[1].Source);
    }

    [Fact]
    public void Weights_split_the_collaborative_weight_only_when_both_signals_exist()
    {
        var o = new RankingOptions(CarModelShare: 0.25);
        var affinity = new CarModelLinks(new Dictionary<string, IReadOnlyList<CarModelLink>> { ["A B"] = [new("C D", 1f)] }).For(["A B"]);
        var both = BlendRanker.Weights(new UserTaste([1], [1], 5, []) { CarModels = affinity }, o);
        var latentOnly = BlendRanker.Weights(new UserTaste([1], [1], 5, []), o);
        var carOnly = BlendRanker.Weights(new UserTaste([1], null, 5, []) { CarModels = affinity }, o);
        Assert.Equal(latentOnly.Collaborative, both.Collaborative + both.CarModel, 9);
        Assert.Equal(0.25 * latentOnly.Collaborative, both.CarModel, 9);
        Assert.Equal(latentOnly.Collaborative, carOnly.CarModel, 9);
        Assert.Equal(0, carOnly.Collaborative);
        Assert.Equal(latentOnly.Content, both.Content, 9);
    }

    [Fact]
    public void The_offline_recommender_proposes_listings_of_the_models_co_liked_with_the_users()
    {
        // shoppers who looked at a Golf also looked at an Octavia, never at a Panda; the new shopper saw one Golf
        var listings = new Dictionary<string, ListingFeatures>();
        string Add(int id, string make, string model)
        {
            listings[$"{id}"] = new ListingFeatures(make, model, 2019, 15_000, BodyType.Hatchback, null);
            return $"{id}";
        }
        var rows = new List<(string, string, float, long?)>();
        for (var u = 0; u < 6; u++)
        {
            rows.Add(($"u{u}", Add(100 + u, "Volkswagen", "Golf"), 1, null));
            rows.Add(($"u{u}", Add(200 + u, "Skoda", "Octavia"), 1, null));
            rows.Add(($"p{u}", Add(300 + u, "Fiat", "Panda"), 1, null));
            rows.Add(($"p{u}", Add(400 + u, "Fiat", "500"), 1, null));
        }
        rows.Add(("new", Add(999, "Volkswagen", "Golf"), 1, null));
        var log = InteractionLog.Aggregate(rows);
        var recommender = new CarModelEaseRecommender(new EaseOptions(Lambda: 1, MinSupport: 1), listings);
        recommender.Fit(new TrainingData(log.ToMatrix(log.Entries), log.UserIds, log.ItemIds));
        var top = new int[3];
        var n = recommender.Recommend(Array.IndexOf(log.UserIds, "new"), top);
        Assert.Equal(3, n);
        Assert.All(top, i => Assert.Equal("Octavia", listings[log.ItemIds[i]].Model));
    }
}
