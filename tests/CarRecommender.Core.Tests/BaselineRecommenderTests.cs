using CarRecommender.Core.Evaluation;
using CarRecommender.Core.Learning;

namespace CarRecommender.Core.Tests;

public class BaselineRecommenderTests
{
    /// <summary>
    /// u0 {0, 1}, u1 {0, 1, 2}, u2 {2, 3}, u3 {0}. Item columns: 0 {u0, u1, u3}, 1 {u0, u1}, 2 {u1, u2}, 3 {u2}.
    /// Cosines: (0,1) = 2/(√3·√2) = 0.816, (0,2) = 1/(√3·√2) = 0.408, (1,2) = 1/2, (2,3) = 1/√2 = 0.707, (0,3) = (1,3) = 0.
    /// </summary>
    private static TrainingData Tiny()
    {
        var m = SparseMatrix.FromTriples(4, 4, [(0, 0, 1), (0, 1, 1), (1, 0, 1), (1, 1, 1), (1, 2, 1), (2, 2, 1), (2, 3, 1), (3, 0, 1)]);
        return new TrainingData(m, ["u0", "u1", "u2", "u3"], ["a", "b", "c", "d"]);
    }

    private static int[] Recommend(IRecommender r, int user, int k = 4)
    {
        var top = new int[k];
        return top[..r.Recommend(user, top)];
    }

    [Fact]
    public void Popularity_ranks_by_user_count_and_skips_seen_items()
    {
        var pop = new PopularityRecommender();
        pop.Fit(Tiny());
        // counts: item 0 → 3, items 1 and 2 → 2 (tie: lower index first), item 3 → 1
        Assert.Equal([1, 2, 3], Recommend(pop, 3));
        Assert.Equal([0, 1], Recommend(pop, 2));
        Assert.Equal([1], Recommend(pop, 3, k: 1));
    }

    [Fact]
    public void Item_knn_sums_cosine_similarities_of_the_users_items()
    {
        var knn = new ItemKnnRecommender(neighbours: 3);
        knn.Fit(Tiny());
        // u3 has item 0: item 1 scores 0.816, item 2 0.408, item 3 nothing (no co-occurrence: not a candidate)
        Assert.Equal([1, 2], Recommend(knn, 3));
        // u0 has items 0 and 1: item 2 scores 0.408 + 0.5
        Assert.Equal([2], Recommend(knn, 0));
        // u2 has items 2 and 3: item 1 scores 0.5, item 0 0.408
        Assert.Equal([1, 0], Recommend(knn, 2));
    }

    [Fact]
    public void Item_knn_keeps_only_the_top_neighbours_of_each_item()
    {
        var knn = new ItemKnnRecommender(neighbours: 1);
        knn.Fit(Tiny());
        // item 0's single neighbour is item 1 (0.816 > 0.408): item 2 is no longer reachable from u3
        Assert.Equal([1], Recommend(knn, 3));
    }
}
