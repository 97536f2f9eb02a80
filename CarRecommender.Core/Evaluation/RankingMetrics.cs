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

    /// <summary>
    /// Novelty: mean self-information −log₂(n_i / users) of the recommended items, n_i the training users of item i
    /// (Microsoft Recommenders' definition): higher means less popular items.
    /// </summary>
    public static double Novelty(ReadOnlySpan<int> recommended, ReadOnlySpan<int> itemUsers, int users)
    {
        if (recommended.Length == 0 || users == 0) return 0;
        double sum = 0;
        foreach (var i in recommended) sum += -Math.Log2(Math.Max(1, itemUsers[i]) / (double)users);
        return sum / recommended.Length;
    }

    /// <summary>
    /// Intra-list diversity: 1 − the mean pairwise cosine similarity of the recommended items' user sets (binary
    /// co-occurrence in training), so 0 when every pair is always consumed together and 1 when no two share a user.
    /// <paramref name="usersOf"/> gives an item's training users, sorted.
    /// </summary>
    public static double IntraListDiversity(ReadOnlySpan<int> recommended, Func<int, ReadOnlySpan<int>> usersOf)
    {
        if (recommended.Length < 2) return 0;
        double sum = 0;
        var pairs = 0;
        for (var a = 0; a < recommended.Length; a++)
        {
            var ua = usersOf(recommended[a]);
            for (var b = a + 1; b < recommended.Length; b++)
            {
                var ub = usersOf(recommended[b]);
                pairs++;
                if (ua.Length == 0 || ub.Length == 0) continue;
                sum += SortedIntersection(ua, ub) / Math.Sqrt((double)ua.Length * ub.Length);
            }
        }
        return 1 - sum / pairs;
    }

    private static int SortedIntersection(ReadOnlySpan<int> a, ReadOnlySpan<int> b)
    {
        int i = 0, j = 0, n = 0;
        while (i < a.Length && j < b.Length)
        {
            if (a[i] == b[j]) { n++; i++; j++; }
            else if (a[i] < b[j]) i++;
            else j++;
        }
        return n;
    }
}
