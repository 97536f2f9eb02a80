using CarRecommender.Core.Domain;
using CarRecommender.Core.Recommendation;
using CarRecommender.Core.Recommendation.Ranking;

namespace CarRecommender.Core.Tests;

public class LearnedRankerTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly int Width = RankingFeatures.Count;
    private static readonly int Deal = Index("deal-deviation");
    private static readonly int Blend = Index("blend");
    private static readonly RankerTrainingSettings Small = new() { Iterations = 40, Leaves = 7, MinimumRowsPerLeaf = 5, Threads = 1 };

    private static int Index(string feature) => RankingFeatures.Names.ToList().IndexOf(feature);

    /// <summary>
    /// Served lists of 20 listings whose features are noise, except that (when <paramref name="planted"/>) the user
    /// contacts the best deal and saves the second best; otherwise they contact and save listings at random.
    /// </summary>
    private static List<RankingList> Log(int count, int seed, bool planted = true)
    {
        var random = new Random(seed);
        var lists = new List<RankingList>();
        for (var l = 0; l < count; l++)
        {
            const int n = 20;
            var rows = new float[n * Width];
            for (var i = 0; i < rows.Length; i++) rows[i] = (float)random.NextDouble();
            for (var i = 0; i < n; i++)
            {
                rows[i * Width + Deal] = (float)(random.NextDouble() * 0.4 - 0.2);
                // some listings have no market estimate
                if (random.NextDouble() < 0.1) rows[i * Width + Index("distance-km")] = float.NaN;
            }
            var labels = new int[n];
            var byDeal = Enumerable.Range(0, n).OrderBy(i => planted ? rows[i * Width + Deal] : random.NextDouble()).ToArray();
            labels[byDeal[0]] = RankingLabels.Contact;
            labels[byDeal[1]] = RankingLabels.Save;
            labels[byDeal[2]] = RankingLabels.Click;
            lists.Add(new RankingList(Guid.NewGuid(), T0.AddHours(l), rows, labels, Enumerable.Range(1, n).ToArray()));
        }
        return lists;
    }

    [Fact]
    public void LambdaRank_learns_the_feature_that_decides_and_ranks_by_it()
    {
        var model = RankerTraining.Train(Log(300, 1), Small);

        Assert.Equal("deal-deviation", model.ByImportance()[0].Feature);
        Assert.True(model.ByImportance()[0].Importance > 0.5);
        // on new lists the best deal comes first far more often than chance (1 in 20)
        var fresh = Log(100, 2);
        var firstIsBest = fresh.Count(list =>
        {
            var scores = new double[list.Count];
            model.Score(list.Rows, scores);
            var top = Array.IndexOf(scores, scores.Max());
            return list.Labels[top] == RankingLabels.Contact;
        });
        Assert.True(firstIsBest >= 70, $"the best deal came first in {firstIsBest} of 100 lists");
    }

    [Fact]
    public void The_flattened_trees_score_as_ML_NET_does_unknowns_included()
    {
        var (model, mlNet) = RankerTraining.Fit(Log(200, 3), Small);
        var rows = Log(5, 4).SelectMany(l => Enumerable.Range(0, l.Count).Select(i => l.Rows.AsSpan(i * Width, Width).ToArray())).ToList();
        rows[0][Deal] = float.NaN;
        foreach (var row in rows) Assert.Equal(mlNet(row), model.Score(row), 3);
    }

    [Fact]
    public void A_saved_model_loads_with_the_same_scores_and_importances()
    {
        var model = RankerTraining.Train(Log(100, 5), Small);
        var loaded = RankerModel.Load(model.Save());
        var row = Log(1, 6)[0].Rows.AsSpan(0, Width).ToArray();
        Assert.Equal(model.Score(row), loaded.Score(row), 9);
        Assert.Equal(model.Importances, loaded.Importances);
        Assert.Equal(RankingFeatures.Names, loaded.Features);
    }

    [Fact]
    public void A_model_that_learned_the_deciding_feature_beats_the_blend_offline()
    {
        var model = RankerTraining.Train(Log(300, 7), Small);
        var result = RankerComparison.Compare(Log(60, 8), model);
        Assert.True(result.Wins, $"learned {result.LearnedNdcg:F3} vs blend {result.BlendNdcg:F3}, p {result.PValue:F4}");
        Assert.Equal(60, result.Lists);
        Assert.True(result.PValue < 0.05);
    }

    [Fact]
    public void A_model_that_is_no_better_than_the_blend_does_not_win()
    {
        // reactions at random: nothing to learn, the learned order is as good as the blend's noise
        var model = RankerTraining.Train(Log(300, 9, planted: false), Small);
        var result = RankerComparison.Compare(Log(60, 10, planted: false), model);
        Assert.False(result.Wins, $"learned {result.LearnedNdcg:F3} vs blend {result.BlendNdcg:F3}, p {result.PValue:F4}");
    }

    [Fact]
    public void Too_few_lists_never_win_however_good_the_model()
    {
        var model = RankerTraining.Train(Log(300, 11), Small);
        var result = RankerComparison.Compare(Log(20, 12), model);
        Assert.True(result.LearnedNdcg > result.BlendNdcg + 0.1);
        Assert.False(result.Wins);
    }

    [Fact]
    public void The_comparison_reads_the_blend_order_from_the_blend_feature()
    {
        var list = Log(1, 13)[0];
        var blend = Enumerable.Range(0, list.Count).Select(i => (double)list.Rows[i * Width + Blend]).ToArray();
        var perfect = list.Labels.Select(x => (double)x).ToArray();
        Assert.Equal(1, RankerComparison.Ndcg(list, perfect, 10), 9);
        Assert.True(RankerComparison.Ndcg(list, blend, 10) < 1);
    }

    [Fact]
    public void Position_propensity_falls_with_click_through_and_never_rises()
    {
        var p = PositionPropensity.FromClickThrough([(1, 1000, 100), (2, 1000, 50), (3, 1000, 60), (4, 1000, 0)]);
        Assert.Equal([1.0, 0.5, 0.5, PositionPropensity.Floor], p);
        Assert.Equal(PositionPropensity.Floor, PositionPropensity.At(p, 40));
    }

    [Fact]
    public void Without_a_model_the_learned_ranker_is_the_blend_and_with_one_it_orders_by_the_model()
    {
        var user = new UserTaste([1, 0], null, 5, []);
        var candidates = Enumerable.Range(1, 30).Select(i => new Candidate(i, "VW", "Golf", 2020, 20_000, BodyType.Hatchback,
            [1, i / 30f], null, 0, null)
        { MarketDeviation = (15 - i) / 100.0 }).ToList();
        var blend = new BlendRanker().Score(user, candidates, T0).Select(s => s.Candidate.ListingId).ToList();
        Assert.Equal(blend, new LearnedRanker(null).Score(user, candidates, T0).Select(s => s.Candidate.ListingId).ToList());

        var model = RankerTraining.Train(Log(300, 14), Small);
        var learned = new LearnedRanker(model).Score(user, candidates, T0);
        // the model favours the lowest deal deviation: listing 30 is 15 % below the market
        Assert.Equal(30, learned[0].Candidate.ListingId);
        Assert.InRange(learned.Min(s => s.Score), 0, 0);
        Assert.InRange(learned.Max(s => s.Score), 1, 1);
        Assert.Equal(new BlendRanker().Score(user, candidates, T0).Single(s => s.Candidate.ListingId == 30).Source, learned[0].Source);
    }

    [Fact]
    public void The_ranker_setting_takes_learned_or_blend_and_the_serving_model_keys_stored_lists()
    {
        var defaults = Recommendation.Rules.EngineSettings.Default;
        Assert.True(defaults.UsesLearnedRanker);
        using var blend = System.Text.Json.JsonDocument.Parse("""{"ranker": "blend"}""");
        var variant = defaults.Override(blend.RootElement);
        Assert.False(variant.UsesLearnedRanker);
        using var bad = System.Text.Json.JsonDocument.Parse("""{"ranker": "magic"}""");
        Assert.Contains("ranker", Assert.Throws<ArgumentException>(() => defaults.Override(bad.RootElement)).Message, StringComparison.Ordinal);

        // a list ranked by model 7 is not one ranked by model 8, nor by the blend; the blend's key ignores models
        Assert.NotEqual(defaults.StoreKey(7), defaults.StoreKey(8));
        Assert.Equal(defaults.Fingerprint, defaults.StoreKey(null));
        Assert.Equal(variant.Fingerprint, variant.StoreKey(7));
    }
}
