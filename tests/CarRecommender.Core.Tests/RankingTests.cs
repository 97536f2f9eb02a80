using CarRecommender.Core.Domain;
using CarRecommender.Core.Recommendation;
using CarRecommender.Core.Recommendation.Ranking;

namespace CarRecommender.Core.Tests;

public class TrendingTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_score_halves_every_half_life()
    {
        var key = Trending.Key(4, T0);
        Assert.Equal(4, Trending.Score(key, T0), 6);
        Assert.Equal(2, Trending.Score(key, T0 + Trending.HalfLife), 6);
        Assert.Equal(1, Trending.Score(key, T0 + 2 * Trending.HalfLife), 6);
    }

    [Fact]
    public void Adding_keys_adds_their_decayed_scores()
    {
        var later = T0 + TimeSpan.FromHours(30);
        var sum = Trending.Add(Trending.Key(5, T0), Trending.Key(1, later));
        var expected = 5 * Math.Pow(0.5, 30 / Trending.HalfLife.TotalHours) + 1;
        Assert.Equal(expected, Trending.Score(sum, later), 6);
    }

    [Fact]
    public void A_recent_view_can_outrank_an_old_contact_and_keys_order_like_scores()
    {
        var oldContact = Trending.Key(Trending.WeightOf(InteractionType.Contact), T0);
        var freshView = Trending.Key(Trending.WeightOf(InteractionType.View), T0 + TimeSpan.FromDays(7));
        Assert.True(freshView > oldContact);
        var now = T0 + TimeSpan.FromDays(8);
        Assert.True(Trending.Score(freshView, now) > Trending.Score(oldContact, now));
    }

    [Fact]
    public void Dismissals_and_unsaves_add_no_trend()
    {
        Assert.Null(Trending.KeyOf([(InteractionType.Dismiss, T0), (InteractionType.Unsave, T0)]));
        Assert.Equal(Trending.Key(4, T0), Trending.KeyOf([(InteractionType.View, T0), (InteractionType.Save, T0), (InteractionType.Dismiss, T0)])!.Value, 9);
        Assert.Equal(0, Trending.Score(Trending.None, T0));
    }
}

public class HybridRankerTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);

    private static Candidate Car(long id, string make, string model, float[] content, float[]? latent = null, double trendWeight = 0, double? km = null) =>
        new(id, make, model, 2019, 15_000, BodyType.Suv, content, latent, trendWeight > 0 ? Trending.Key(trendWeight, Now) : Trending.None, km);

    private static HistoryItem Seen(long id, string make, string model, InteractionType? strongest, float[] content, float[]? latent = null, bool dismissed = false) =>
        new(id, make, model, 2019, strongest, dismissed, content, latent);

    [Fact]
    public void A_car_the_user_viewed_comes_back_first_with_the_price_drop_reason_and_without_a_drop_stays_below_new_ones()
    {
        var viewed = Seen(1, "Volkswagen", "Golf", InteractionType.View, [1, 0]);
        var candidates = new[] { Car(1, "Volkswagen", "Golf", [0.9f, 0.1f]), Car(2, "Audi", "A3", [1, 0.05f]), Car(3, "BMW", "1 Series", [0.95f, 0.1f]) };

        var unchanged = EngineStages.Rank(new UserTaste([1, 0], null, 1, [viewed]), candidates, 3, Now);
        Assert.NotEqual(1, unchanged[0].ListingId);
        Assert.DoesNotContain(unchanged, r => r.Source == RecommendationSource.PriceDrop);

        var cheaper = EngineStages.Rank(new UserTaste([1, 0], null, 1, [viewed with { PriceDrop = 1_200 }]), candidates, 3, Now);
        Assert.Equal(1, cheaper[0].ListingId);
        Assert.Equal(RecommendationSource.PriceDrop, cheaper[0].Source);
        Assert.Equal("Price dropped by €1,200 on the 2019 Golf you viewed", cheaper[0].Reason);
    }

    [Fact]
    public void Content_candidates_are_ranked_by_cosine_to_the_users_vector()
    {
        var user = new UserTaste([1, 0], null, 3, []);
        var ranked = EngineStages.Rank(user, [Car(1, "A", "a", [0, 1]), Car(2, "B", "b", [1, 0.1f]), Car(3, "C", "c", [1, 1])], 3, Now);
        Assert.Equal([2L, 3L, 1L], ranked.Select(r => r.ListingId));
        Assert.Equal(RecommendationSource.Content, ranked[0].Source);
    }

    [Fact]
    public void Contacted_and_dismissed_listings_are_never_recommended_and_seen_ones_lose_score()
    {
        var history = new[]
        {
            Seen(1, "A", "a", InteractionType.Contact, [1, 0]),
            Seen(2, "B", "b", InteractionType.View, [1, 0], dismissed: true),
            Seen(3, "C", "c", InteractionType.View, [1, 0]),
        };
        var user = new UserTaste([1, 0], null, 3, history);
        var candidates = new[] { Car(1, "A", "a", [1, 0]), Car(2, "B", "b", [1, 0]), Car(3, "C", "c", [1, 0]), Car(4, "D", "d", [1, 0.05f]), Car(5, "E", "e", [0, 1]) };
        var ranked = EngineStages.Rank(user, candidates, 5, Now);
        Assert.DoesNotContain(ranked, r => r.ListingId is 1 or 2);
        Assert.Equal(4, ranked[0].ListingId); // the seen twin (3) is cut to half its score
        Assert.True(ranked.Single(r => r.ListingId == 3).Score < ranked[0].Score * 0.6);
    }

    [Fact]
    public void A_cold_user_gets_trending_listings_with_a_trending_reason()
    {
        var ranked = EngineStages.Rank(UserTaste.Cold,
            [Car(1, "A", "a", [1, 0], trendWeight: 1, km: 500), Car(2, "B", "b", [0, 1], trendWeight: 9, km: 12), Car(3, "C", "c", [1, 1])], 3, Now);
        Assert.Equal([2L, 1L, 3L], ranked.Select(r => r.ListingId));
        Assert.Equal("Trending near you", ranked[0].Reason);
        Assert.Equal("Trending this week", ranked[1].Reason);
        Assert.All(ranked, r => Assert.Equal(RecommendationSource.Trending, r.Source));
    }

    [Fact]
    public void The_collaborative_weight_grows_with_history_and_needs_latent_factors()
    {
        var o = new RankingOptions();
        Assert.Equal(0, BlendRanker.Weights(new UserTaste([1], null, 100, []), o).Collaborative);
        var few = BlendRanker.Weights(new UserTaste([1], [1], 2, []), o);
        var many = BlendRanker.Weights(new UserTaste([1], [1], 200, []), o);
        Assert.True(many.Collaborative > few.Collaborative);
        Assert.True(many.Collaborative <= o.CollaborativeMax);
        Assert.True(many.Trending < few.Trending);
        Assert.Equal(1, few.Content + few.Collaborative, 9);
    }

    [Fact]
    public void Diversity_keeps_one_model_from_filling_the_list()
    {
        var user = new UserTaste([1, 0], null, 5, []);
        // five near-identical Golfs score slightly above three other compacts; the rest of the pool is far away
        var golfs = Enumerable.Range(1, 5).Select(i => Car(i, "Volkswagen", "Golf", [1, 0.01f * i]));
        var others = new[]
        {
            Car(10, "Skoda", "Octavia", [1, 0.08f]), Car(11, "Seat", "Leon", [1, 0.09f]), Car(12, "Ford", "Focus", [1, 0.1f]),
            Car(20, "Fiat", "Panda", [0, 1]), Car(21, "Kia", "Rio", [-1, 0.2f]),
        };
        var ranked = EngineStages.Rank(user, [.. golfs, .. others], 5, Now, new RankingOptions(Lambda: 0.7, MaxPerModel: 2));
        Assert.True(ranked.Count(r => r.ListingId < 10) <= 2, string.Join(",", ranked.Select(r => r.ListingId)));
        Assert.True(EngineStages.Rank(user, [.. golfs, .. others], 5, Now).Count(r => r.ListingId < 10) <= new RankingOptions().MaxPerModel);

        var relevanceOnly = EngineStages.Rank(user, [.. Enumerable.Range(1, 5).Select(i => Car(i, "Volkswagen", "Golf", [1, 0.01f * i])), .. others], 4, Now,
            new RankingOptions(Lambda: 1, MaxPerModel: int.MaxValue));
        Assert.All(relevanceOnly, r => Assert.True(r.ListingId < 10));
    }

    [Fact]
    public void Reasons_name_the_history_listing_the_recommendation_is_closest_to()
    {
        var history = new[]
        {
            Seen(1, "Volkswagen", "Golf", InteractionType.Save, [1, 0], [1, 0]),
            Seen(2, "BMW", "320d", InteractionType.View, [0, 1], [0, 1]),
        };
        var content = new UserTaste([1, 0.2f], null, 2, history);
        var byContent = EngineStages.Rank(content, [Car(5, "Seat", "Leon", [1, 0.05f]), Car(6, "Fiat", "500", [-1, 0])], 1, Now);
        Assert.Equal("Similar to the 2019 Volkswagen Golf you saved", byContent[0].Reason);

        var collaborative = new UserTaste(null, [0, 1], 2, history);
        var byFactors = EngineStages.Rank(collaborative, [Car(7, "Audi", "A4", [1, 0], latent: [0.1f, 2]), Car(8, "Kia", "Rio", [1, 0], latent: [1, -1])], 1, Now);
        Assert.Equal(RecommendationSource.Collaborative, byFactors[0].Source);
        Assert.Equal("Popular with people who viewed the BMW 320d you viewed", byFactors[0].Reason);
    }
}
