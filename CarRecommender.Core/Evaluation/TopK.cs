namespace CarRecommender.Core.Evaluation;

/// <summary>Selection of the K best-scored indices, in O(n log K), ties going to the lower index (deterministic).</summary>
public static class TopK
{
    /// <summary>
    /// Writes the indices of the highest <paramref name="scores"/> into <paramref name="destination"/> (best first, up to its
    /// length) and returns how many; indices scored −∞ (excluded) or NaN are never chosen.
    /// </summary>
    public static int Select(ReadOnlySpan<float> scores, Span<int> destination)
    {
        var k = destination.Length;
        if (k == 0) return 0;
        // min-heap of the best k so far; the root is the weakest kept entry
        Span<float> heapScore = k <= 256 ? stackalloc float[k] : new float[k];
        var heapIndex = destination;
        var size = 0;
        for (var i = 0; i < scores.Length; i++)
        {
            var s = scores[i];
            if (float.IsNegativeInfinity(s) || float.IsNaN(s)) continue;
            if (size < k)
            {
                heapScore[size] = s;
                heapIndex[size] = i;
                SiftUp(heapScore, heapIndex, size++);
            }
            else if (s > heapScore[0])
            {
                // a later index with an equal score never displaces an earlier one
                heapScore[0] = s;
                heapIndex[0] = i;
                SiftDown(heapScore, heapIndex, 0, size);
            }
        }
        // pop the weakest to the back, so the array ends up best first
        for (var end = size - 1; end > 0; end--)
        {
            (heapScore[0], heapScore[end]) = (heapScore[end], heapScore[0]);
            (heapIndex[0], heapIndex[end]) = (heapIndex[end], heapIndex[0]);
            SiftDown(heapScore, heapIndex, 0, end);
        }
        return size;
    }

    /// <summary>Sets the scores of <paramref name="seen"/> items to −∞ so <see cref="Select"/> skips them.</summary>
    public static void Exclude(Span<float> scores, ReadOnlySpan<int> seen)
    {
        foreach (var i in seen) scores[i] = float.NegativeInfinity;
    }

    /// <summary>Heap order: a is weaker than b when its score is lower, or equal with a higher index.</summary>
    private static bool Weaker(Span<float> score, Span<int> index, int a, int b) =>
        score[a] < score[b] || score[a] == score[b] && index[a] > index[b];

    private static void SiftUp(Span<float> score, Span<int> index, int n)
    {
        while (n > 0)
        {
            var parent = (n - 1) / 2;
            if (!Weaker(score, index, n, parent)) return;
            Swap(score, index, n, parent);
            n = parent;
        }
    }

    private static void SiftDown(Span<float> score, Span<int> index, int n, int size)
    {
        while (true)
        {
            var weakest = n;
            var left = 2 * n + 1;
            var right = left + 1;
            if (left < size && Weaker(score, index, left, weakest)) weakest = left;
            if (right < size && Weaker(score, index, right, weakest)) weakest = right;
            if (weakest == n) return;
            Swap(score, index, n, weakest);
            n = weakest;
        }
    }

    private static void Swap(Span<float> score, Span<int> index, int a, int b)
    {
        (score[a], score[b]) = (score[b], score[a]);
        (index[a], index[b]) = (index[b], index[a]);
    }
}
