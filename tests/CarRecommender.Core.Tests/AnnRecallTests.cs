using CarRecommender.Core.Data;

namespace CarRecommender.Core.Tests;

public class AnnRecallTests
{
    [Fact]
    public void Results_within_the_kth_exact_distance_are_hits_and_ties_count()
    {
        double[] exact = [0.1, 0.2, 0.3];
        Assert.Equal(3, AnnRecall.Hits([0.1, 0.2, 0.3], exact, 3));
        // a different listing at the same distance as the 3rd neighbour is as good an answer
        Assert.Equal(3, AnnRecall.Hits([0.1, 0.3, 0.3], exact, 3));
        Assert.Equal(2, AnnRecall.Hits([0.1, 0.2, 0.5], exact, 3));
        Assert.Equal(0, AnnRecall.Hits([0.4, 0.5], exact, 3));
    }

    [Fact]
    public void Hits_are_capped_by_the_neighbours_that_exist()
    {
        Assert.Equal(1, AnnRecall.Hits([0.1, 0.1], [0.1], 10));
        Assert.Equal(0, AnnRecall.Hits([0.1], [], 10));
    }
}
