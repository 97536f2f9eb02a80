using CarRecommender.Core.Evaluation;

namespace CarRecommender.Core.Tests;

public class RankingMetricsTests
{
    // recommended 5, 1, 7, 3, 9 against relevant {1, 3, 4}: hits at ranks 2 and 4
    private static readonly int[] Recommended = [5, 1, 7, 3, 9];
    private static readonly int[] Relevant = [1, 3, 4];
    private const double Tolerance = 1e-9;

    [Fact]
    public void Precision_is_hits_over_k()
    {
        Assert.Equal(2.0 / 5, RankingMetrics.Precision(Recommended, Relevant, 5), Tolerance);
        // top 3 = 5, 1, 7: one hit
        Assert.Equal(1.0 / 3, RankingMetrics.Precision(Recommended, Relevant, 3), Tolerance);
        // a list shorter than K counts the empty slots as misses: 2 hits / 10
        Assert.Equal(2.0 / 10, RankingMetrics.Precision(Recommended, Relevant, 10), Tolerance);
    }

    [Fact]
    public void Recall_is_hits_over_all_relevant_items()
    {
        Assert.Equal(2.0 / 3, RankingMetrics.Recall(Recommended, Relevant, 5), Tolerance);
        Assert.Equal(1.0 / 3, RankingMetrics.Recall(Recommended, Relevant, 3), Tolerance);
        // 5 relevant, K = 2, both hit: 2 / 5, not 2 / min(5, 2)
        Assert.Equal(2.0 / 5, RankingMetrics.Recall([1, 2], [1, 2, 3, 4, 5], 2), Tolerance);
    }

    [Fact]
    public void Ndcg_discounts_hits_by_log2_of_rank_and_normalises_by_the_ideal_list()
    {
        // DCG = 1/log2(3) + 1/log2(5) = 0.630930 + 0.430677; IDCG (3 hits on top) = 1 + 1/log2(3) + 1/log2(4) = 2.130930
        var dcg = 1 / Math.Log2(3) + 1 / Math.Log2(5);
        var ideal = 1 + 1 / Math.Log2(3) + 0.5;
        Assert.Equal(dcg / ideal, RankingMetrics.Ndcg(Recommended, Relevant, 5), Tolerance);
        Assert.Equal(0.498189, RankingMetrics.Ndcg(Recommended, Relevant, 5), 1e-6);
        // K = 2: DCG = 1/log2(3) (the hit at rank 2), IDCG = 1 + 1/log2(3) (only 2 slots)
        Assert.Equal(1 / Math.Log2(3) / (1 + 1 / Math.Log2(3)), RankingMetrics.Ndcg(Recommended, Relevant, 2), Tolerance);
        Assert.Equal(1, RankingMetrics.Ndcg([4, 1, 3], Relevant, 3), Tolerance);
        Assert.Equal(0, RankingMetrics.Ndcg([7, 8], Relevant, 2), Tolerance);
    }

    [Fact]
    public void Average_precision_averages_precision_at_each_hit_over_min_of_relevant_and_k()
    {
        // hits at ranks 2 and 4: (1/2 + 2/4) / min(3, 5) = 1/3
        Assert.Equal(1.0 / 3, RankingMetrics.AveragePrecision(Recommended, Relevant, 5), Tolerance);
        // K = 3: one hit at rank 2: (1/2) / min(3, 3) = 1/6
        Assert.Equal(1.0 / 6, RankingMetrics.AveragePrecision(Recommended, Relevant, 3), Tolerance);
        // more relevant items than K: a perfect top 2 scores 1
        Assert.Equal(1, RankingMetrics.AveragePrecision([1, 2], [1, 2, 3, 4, 5], 2), Tolerance);
        // hits at ranks 1 and 3 of relevant {a, b}: (1/1 + 2/3) / 2 = 5/6
        Assert.Equal(5.0 / 6, RankingMetrics.AveragePrecision([10, 11, 12], [10, 12], 3), Tolerance);
    }

    [Fact]
    public void Coverage_is_distinct_recommended_items_over_training_items()
    {
        Assert.Equal(0.25, RankingMetrics.Coverage(3, 12), Tolerance);
        Assert.Equal(0, RankingMetrics.Coverage(0, 0), Tolerance);
    }

    [Fact]
    public void Top_k_picks_the_highest_scores_best_first_with_ties_to_the_lower_index_and_skips_excluded()
    {
        float[] scores = [1, 3, 3, 2, 5, 0.5f];
        TopK.Exclude(scores, [4]);
        var top = new int[3];
        Assert.Equal(3, TopK.Select(scores, top));
        Assert.Equal([1, 2, 3], top);
        var all = new int[10];
        Assert.Equal(5, TopK.Select(scores, all));
        Assert.Equal([1, 2, 3, 0, 5], all[..5]);
    }
}
