namespace CarRecommender.Core.Evaluation;

/// <summary>
/// Top-K ranking metrics of one user's recommendation list against their held-out (relevant) items, binary relevance.
/// Only the first K recommendations count; a list shorter than K counts its missing slots as misses.
/// </summary>
public static class RankingMetrics
{
    /// <summary>Precision@K = hits in the top K / K.</summary>
    public static double Precision(ReadOnlySpan<int> recommended, ReadOnlySpan<int> relevant, int k) =>
        relevant.IsEmpty ? 0 : (double)Hits(recommended, relevant, k) / k;

    /// <summary>
    /// Recall@K = hits in the top K / |relevant| (the common definition, as in Microsoft Recommenders and RecBole; it
    /// cannot reach 1 when more than K items are held out).
    /// </summary>
    public static double Recall(ReadOnlySpan<int> recommended, ReadOnlySpan<int> relevant, int k) =>
        relevant.IsEmpty ? 0 : (double)Hits(recommended, relevant, k) / relevant.Length;

    /// <summary>
    /// NDCG@K = DCG / IDCG with DCG = Σ over hits at 1-based rank r ≤ K of 1 / log2(r + 1), and IDCG the DCG of
    /// min(|relevant|, K) hits at the top.
    /// </summary>
    public static double Ndcg(ReadOnlySpan<int> recommended, ReadOnlySpan<int> relevant, int k)
    {
        if (relevant.IsEmpty) return 0;
        double dcg = 0, ideal = 0;
        var n = Math.Min(k, recommended.Length);
        for (var r = 0; r < n; r++)
            if (relevant.Contains(recommended[r])) dcg += 1 / Math.Log2(r + 2);
        for (var r = 0; r < Math.Min(k, relevant.Length); r++) ideal += 1 / Math.Log2(r + 2);
        return dcg / ideal;
    }

    /// <summary>
    /// AP@K = Σ over hits at 1-based rank r ≤ K of precision@r, divided by min(|relevant|, K) so a perfect top K scores 1.
    /// MAP@K is its mean over users.
    /// </summary>
    public static double AveragePrecision(ReadOnlySpan<int> recommended, ReadOnlySpan<int> relevant, int k)
    {
        if (relevant.IsEmpty) return 0;
        double sum = 0;
        var hits = 0;
        var n = Math.Min(k, recommended.Length);
        for (var r = 0; r < n; r++)
        {
            if (!relevant.Contains(recommended[r])) continue;
            hits++;
            sum += (double)hits / (r + 1);
        }
        return sum / Math.Min(relevant.Length, k);
    }

    /// <summary>Catalogue coverage = distinct items recommended to anyone / items in the training data.</summary>
    public static double Coverage(int distinctRecommended, int trainingItems) =>
        trainingItems == 0 ? 0 : (double)distinctRecommended / trainingItems;

    private static int Hits(ReadOnlySpan<int> recommended, ReadOnlySpan<int> relevant, int k)
    {
        var hits = 0;
        var n = Math.Min(k, recommended.Length);
        for (var r = 0; r < n; r++)
            if (relevant.Contains(recommended[r])) hits++;
        return hits;
    }
}
