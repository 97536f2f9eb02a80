using CarRecommender.Core.Domain;
using CarRecommender.Core.Evaluation;
using CarRecommender.Core.Learning;
using CarRecommender.Core.Recommendation;
using CarRecommender.Core.Recommendation.Ranking;
using CarRecommender.Core.Recommendation.Sources;
using CarRecommender.Core.Recommendation.Taste;

namespace CarRecommender.Core.Tests;

/// <summary>Each stage of the engine on its own, over listings in memory.</summary>
public class EngineStageTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);

    private static Candidate Car(long id, string make, string model, float[]? content = null, float[]? latent = null, double trend = 0,
        double? lat = null, double? lon = null) =>
        new(id, make, model, 2019, 15_000, BodyType.Suv, content, latent, trend > 0 ? Trending.Key(trend, Now) : Trending.None, null)
        {
            Latitude = lat,
            Longitude = lon,
        };

    private static CandidateQuery Query(UserTaste taste, int count = 2, int trending = 2, params long[] excluded) =>
        new(taste, count, trending, excluded.ToHashSet());

    private static async Task<long[]> Ids(ICandidateSource source, CandidateQuery query) =>
        (await source.FetchAsync(query, default)).Select(c => c.ListingId).ToArray();

    private static readonly CandidateCatalogue Catalogue = new([
        Car(1, "VW", "Golf", content: [1, 0], latent: [1, 0], trend: 1),
        Car(2, "VW", "Polo", content: [0.9f, 0.1f], latent: [0, 1], trend: 5),
        Car(3, "BMW", "X5", content: [0, 1], latent: [2, 0]),
        Car(4, "Kia", "Rio", content: [0.95f, 0.05f], latent: [0.5f, 0.5f]),
        Car(5, "Kia", "Rio", content: null, latent: null),
        Car(6, "Fiat", "Panda", content: [0, 0], latent: [0, 0], trend: 5),
    ]);

    [Fact]
    public async Task Exact_content_source_returns_the_nearest_listings_by_cosine_and_never_an_excluded_or_vectorless_one()
    {
        var taste = new UserTaste([1, 0], null, 1, []);
        Assert.Equal(new long[] { 1, 4 }, await Ids(ExactSources.Content(Catalogue), Query(taste)));
        Assert.Equal(new long[] { 4, 2 }, await Ids(ExactSources.Content(Catalogue), Query(taste, excluded: 1)));
        // the whole catalogue asked for: listings without a vector (5) or with a zero one (6) never come
        Assert.Equal(new long[] { 1, 4, 2, 3 }, await Ids(ExactSources.Content(Catalogue), Query(taste, count: 10)));
        Assert.Empty(await Ids(ExactSources.Content(Catalogue), Query(UserTaste.Cold)));
    }

    [Fact]
    public async Task Exact_latent_source_ranks_by_inner_product()
    {
        var taste = new UserTaste(null, [1, 0], 1, []);
        Assert.Equal(new long[] { 3, 1, 4 }, await Ids(ExactSources.Latent(Catalogue), Query(taste, count: 3)));
    }

    [Fact]
    public async Task Exact_trending_source_takes_the_hottest_listings_and_breaks_ties_towards_the_newest()
    {
        // 2 and 6 share the top trend; 6 is newer
        Assert.Equal(new long[] { 6, 2, 1 }, await Ids(ExactSources.Trending(Catalogue), Query(UserTaste.Cold, trending: 3)));
        Assert.Equal(new long[] { 2, 1 }, await Ids(ExactSources.Trending(Catalogue), Query(UserTaste.Cold, trending: 2, excluded: 6)));
    }

    [Fact]
    public async Task Exact_car_model_source_keeps_to_the_models_the_car_model_ease_proposes()
    {
        var affinity = new CarModelAffinity(new Dictionary<string, CarModelScore>
        {
            [CarModelEase.Key("Kia", "Rio")] = new(0.9, "VW Golf"),
        });
        var taste = new UserTaste(null, null, 1, []) { CarModels = affinity };
        Assert.Equal(new long[] { 5, 4 }, await Ids(ExactSources.CarModel(Catalogue), Query(taste, count: 5)));
        Assert.Empty(await Ids(ExactSources.CarModel(Catalogue), Query(new UserTaste(null, null, 1, []), count: 5)));
    }

    [Fact]
    public async Task Price_drop_source_returns_known_listings_whose_price_fell_unless_excluded()
    {
        HistoryItem Item(long id, InteractionType type, int? drop) => new(id, "VW", "Golf", 2019, type, false, null, null) { PriceDrop = drop };
        var taste = new UserTaste(null, null, 3, [Item(1, InteractionType.View, 900), Item(2, InteractionType.Save, null), Item(3, InteractionType.Save, 500)]);
        Assert.Equal(new long[] { 1, 3 }, (await Ids(ExactSources.PriceDrop(Catalogue), Query(taste))).Order());
        Assert.Equal(new long[] { 3 }, await Ids(ExactSources.PriceDrop(Catalogue), Query(taste, excluded: 1)));
    }

    [Fact]
    public void Blend_ranker_scores_every_candidate_best_first_with_ties_by_listing_id()
    {
        var taste = new UserTaste([1, 0], null, 5, []);
        var scored = new BlendRanker().Score(taste, [Car(9, "A", "B", [0, 1]), Car(8, "C", "D", [1, 0]), Car(7, "E", "F", [1, 0])], Now);
        Assert.Equal([7, 8, 9], scored.Select(s => s.Candidate.ListingId));
        Assert.All(scored.Take(2), s => Assert.Equal(RecommendationSource.Content, s.Source));
        Assert.True(scored[1].Score > scored[2].Score);
    }

    [Fact]
    public void Diversity_caps_a_model_and_returns_at_most_the_limit_best_first()
    {
        var ranked = Enumerable.Range(1, 6).Select(i => new ScoredCandidate(Car(i, "VW", "Golf"), 1 - i * 0.01, RecommendationSource.Content))
            .Append(new ScoredCandidate(Car(10, "Kia", "Rio"), 0.5, RecommendationSource.Content)).ToList();
        var list = new Diversity(new RankingOptions(MaxPerModel: 2)).Apply(UserTaste.Cold, ranked, 3, Now);
        Assert.Equal([1, 2, 10], list.Select(s => s.Candidate.ListingId));
    }

    [Fact]
    public async Task The_engine_drops_excluded_listings_places_candidates_and_explains_each_pick()
    {
        var history = new HistoryItem(1, "VW", "Golf", 2019, InteractionType.Contact, false, [1, 0], null);
        var taste = new UserTaste([1, 0], null, 1, [history]);
        var user = new UserContext(taste, 52.52, 13.40, Now);
        var catalogue = new CandidateCatalogue([
            Car(1, "VW", "Golf", content: [1, 0]),
            Car(2, "VW", "Polo", content: [0.9f, 0.1f], lat: 52.52, lon: 13.41),
            Car(3, "BMW", "X5", content: [0, 1], trend: 3, lat: 48.14, lon: 11.58),
        ]);
        var engine = RecommendationEngine.Create(new InMemoryTastes(id => id == 7 ? user : null), new MemoryRetrieval(catalogue));
        var result = (await engine.RecommendAsync(new RecommendationRequest(7, null, 5, Now), default))!;
        Assert.Equal([2, 3], result.Items.Select(i => i.ListingId));
        Assert.Equal("Similar to the 2019 VW Golf you contacted", result.Items[0].Reason);
        Assert.Equal(Now, result.VectorsAsOf);
        Assert.Null(await engine.RecommendAsync(new RecommendationRequest(8, null, 5, Now), default));
        // a filter has no meaning for a catalogue in memory, which is already what the request may see
        await Assert.ThrowsAsync<ArgumentException>(async () =>
            await engine.RecommendAsync(new RecommendationRequest(7, new Search.ListingFilter { MaxPrice = 1 }, 5, Now), default));
    }

    [Fact]
    public void Evaluation_runs_the_engine_in_memory_never_recommending_a_training_listing()
    {
        var (log, catalogue) = SyntheticLog.CreateWithCatalogue(users: 150, listings: 300, seed: 5);
        var features = ListingFeatures.Of(catalogue);
        var split = DataSplit.Create(log, new SplitOptions(SplitProtocol.PerUser, 0.2, Seed: 5));
        var hybrid = new HybridRecommender(new AlsOptions(Factors: 8, Iterations: 3), features);
        hybrid.Fit(TrainingData.Of(split));
        var m = split.TrainMatrix;
        for (var user = 0; user < 20; user++)
        {
            var list = new int[10];
            var n = hybrid.Recommend(user, list);
            Assert.Equal(10, n);
            Assert.Empty(list.Intersect(m.ColumnIndex[m.RowStart[user]..m.RowStart[user + 1]]));
            var again = new int[10];
            hybrid.Recommend(user, again);
            Assert.Equal(list, again);
        }
    }
}
