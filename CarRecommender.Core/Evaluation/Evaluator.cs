using System.Diagnostics;
using CarRecommender.Core.Data;

namespace CarRecommender.Core.Evaluation;

/// <summary>Metrics at K averaged over test users, plus catalogue coverage, novelty and intra-list diversity.</summary>
public sealed record MetricsAtK(int K, double Precision, double Recall, double Ndcg, double Map, double Coverage, int Users,
    double Novelty = 0, double Diversity = 0);

/// <summary>One recommender's result on a split.</summary>
public sealed record RecommenderResult(string Name, MetricsAtK Metrics, TimeSpan FitTime, TimeSpan EvaluateTime);

/// <summary>Fits recommenders on a split's training data and scores their top K for every test user.</summary>
public static class Evaluator
{
    /// <summary>Fits and scores each recommender in turn (progress stages are named after them).</summary>
    public static IReadOnlyList<RecommenderResult> Run(DataSplit split, IEnumerable<IRecommender> recommenders, int k,
        IProgress<LoadProgress>? progress = null, CancellationToken ct = default) =>
        recommenders.Select(r => Run(split, r, k, progress, ct)).ToList();

    public static RecommenderResult Run(DataSplit split, IRecommender recommender, int k, IProgress<LoadProgress>? progress = null,
        CancellationToken ct = default)
    {
        var fit = Stopwatch.StartNew();
        progress?.Report(new LoadProgress($"{recommender.Name}: fit", 0, 0));
        recommender.Fit(TrainingData.Of(split), progress, ct);
        fit.Stop();
        var score = Stopwatch.StartNew();
        var metrics = Score(split, recommender, k, progress, ct);
        return new RecommenderResult(recommender.Name, metrics, fit.Elapsed, score.Elapsed);
    }

    /// <summary>Scores a fitted recommender: each test user's top K (training items excluded) against their held-out items.</summary>
    public static MetricsAtK Score(DataSplit split, IRecommender recommender, int k, IProgress<LoadProgress>? progress = null,
        CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        var users = split.TestUsers;
        var items = split.TrainMatrix.Columns;
        var stage = $"{recommender.Name}: evaluate";
        double precision = 0, recall = 0, ndcg = 0, map = 0, novelty = 0, diversity = 0;
        var recommended = new bool[items];
        var itemUsers = split.TrainItemUsers;
        var userCounts = new int[items];
        for (var i = 0; i < items; i++) userCounts[i] = itemUsers.RowStart[i + 1] - itemUsers.RowStart[i];
        ReadOnlySpan<int> UsersOf(int i) => itemUsers.ColumnIndex.AsSpan(itemUsers.RowStart[i], userCounts[i]);
        var gate = new Lock();
        var done = 0;
        var step = Math.Max(1, users.Length / 100);
        Parallel.For(0, users.Length, new ParallelOptions { CancellationToken = ct },
            () => new Accumulator(k, items),
            (n, _, acc) =>
            {
                var count = recommender.Recommend(users[n], acc.Top);
                var top = acc.Top.AsSpan(0, count);
                var relevant = split.Relevant[n];
                acc.Precision += RankingMetrics.Precision(top, relevant, k);
                acc.Recall += RankingMetrics.Recall(top, relevant, k);
                acc.Ndcg += RankingMetrics.Ndcg(top, relevant, k);
                acc.Map += RankingMetrics.AveragePrecision(top, relevant, k);
                acc.Novelty += RankingMetrics.Novelty(top, userCounts, split.TrainMatrix.Rows);
                acc.Diversity += RankingMetrics.IntraListDiversity(top, UsersOf);
                foreach (var i in top) acc.Recommended[i] = true;
                var finished = Interlocked.Increment(ref done);
                if (finished % step == 0) progress?.Report(new LoadProgress(stage, finished, users.Length));
                return acc;
            },
            acc =>
            {
                lock (gate)
                {
                    precision += acc.Precision;
                    recall += acc.Recall;
                    ndcg += acc.Ndcg;
                    map += acc.Map;
                    novelty += acc.Novelty;
                    diversity += acc.Diversity;
                    for (var i = 0; i < items; i++) recommended[i] |= acc.Recommended[i];
                }
            });
        progress?.Report(new LoadProgress(stage, users.Length, users.Length));
        var count = Math.Max(1, users.Length);
        return new MetricsAtK(k, precision / count, recall / count, ndcg / count, map / count,
            RankingMetrics.Coverage(recommended.Count(r => r), split.TrainingItems), users.Length, novelty / count, diversity / count);
    }

    private sealed class Accumulator(int k, int items)
    {
        public readonly int[] Top = new int[k];
        public readonly bool[] Recommended = new bool[items];
        public double Precision, Recall, Ndcg, Map, Novelty, Diversity;
    }
}
