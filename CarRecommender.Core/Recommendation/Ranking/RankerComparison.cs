using MathNet.Numerics.Distributions;

namespace CarRecommender.Core.Recommendation.Ranking;

/// <summary>When a learned model may serve: it must beat the blend by <see cref="Margin"/> NDCG@K, one-sided at
/// <see cref="Alpha"/>, over at least <see cref="MinLists"/> lists with a contact or a save.</summary>
public sealed record RankerGate(double Margin = 0.01, double Alpha = 0.05, int MinLists = 30, int K = 10);

/// <summary>
/// The offline comparison of a model with the blend on the same served lists: their mean NDCG@K, how many lists were
/// compared, the one-sided paired p-value of "the learned order beats the blend's by more than the margin", and the verdict.
/// </summary>
public sealed record RankerComparisonResult(int Lists, double LearnedNdcg, double BlendNdcg, double PValue, bool Wins, RankerGate Gate)
{
    public double Difference => LearnedNdcg - BlendNdcg;
}

/// <summary>
/// Re-ranks each served list's listings by the learned model and by the blend's score (both from the features as of
/// serving time) and compares where the contacted and saved listings land: NDCG@K with gain 2^label − 1 (contact 3, save
/// 2; a click alone is not relevance here). The lists are paired, so the test is a one-sided paired t-test of the
/// per-list difference less the margin.
/// </summary>
public static class RankerComparison
{
    public static RankerComparisonResult Compare(IReadOnlyList<RankingList> lists, RankerModel model, RankerGate? gate = null)
    {
        gate ??= new RankerGate();
        var width = RankingFeatures.Count;
        var blendIndex = RankingFeatures.Count - 1;
        var differences = new List<double>();
        double learnedSum = 0, blendSum = 0;
        foreach (var list in lists.Where(l => l.Labels.Any(x => x >= RankingLabels.Save)))
        {
            var learned = new double[list.Count];
            model.Score(list.Rows, learned);
            var blend = Enumerable.Range(0, list.Count).Select(i => (double)list.Rows[i * width + blendIndex]).ToArray();
            var (l, b) = (Ndcg(list, learned, gate.K), Ndcg(list, blend, gate.K));
            learnedSum += l;
            blendSum += b;
            differences.Add(l - b);
        }
        var n = differences.Count;
        if (n == 0) return new RankerComparisonResult(0, 0, 0, 1, false, gate);
        var p = OneSidedPValue(differences, gate.Margin);
        var (learnedMean, blendMean) = (learnedSum / n, blendSum / n);
        var wins = n >= gate.MinLists && learnedMean - blendMean >= gate.Margin && p < gate.Alpha;
        return new RankerComparisonResult(n, learnedMean, blendMean, p, wins, gate);
    }

    /// <summary>NDCG@K of the list re-ranked by <paramref name="scores"/> (ties keep the served order).</summary>
    public static double Ndcg(RankingList list, IReadOnlyList<double> scores, int k)
    {
        var gains = list.Labels.Select(x => x >= RankingLabels.Save ? Math.Pow(2, x) - 1 : 0).ToArray();
        var order = Enumerable.Range(0, list.Count).OrderByDescending(i => scores[i]).ThenBy(i => list.Positions[i]).ToArray();
        double dcg = 0, ideal = 0;
        for (var r = 0; r < Math.Min(k, order.Length); r++) dcg += gains[order[r]] / Math.Log2(r + 2);
        var best = gains.OrderDescending().ToArray();
        for (var r = 0; r < Math.Min(k, best.Length); r++) ideal += best[r] / Math.Log2(r + 2);
        return ideal == 0 ? 0 : dcg / ideal;
    }

    /// <summary>P(mean difference ≤ margin) under the paired t-test: small means the learned order is better by more than the margin.</summary>
    public static double OneSidedPValue(IReadOnlyList<double> differences, double margin)
    {
        var n = differences.Count;
        var mean = differences.Average();
        if (n < 2) return mean > margin ? 0.5 : 1;
        var sd = Math.Sqrt(differences.Sum(d => (d - mean) * (d - mean)) / (n - 1));
        if (sd == 0) return mean > margin ? 0 : 1;
        var t = (mean - margin) / (sd / Math.Sqrt(n));
        return 1 - StudentT.CDF(0, 1, n - 1, t);
    }
}
