using CarRecommender.Core.Learning;

namespace CarRecommender.Core.Evaluation;

/// <summary>How held-out interactions are chosen.</summary>
public enum SplitProtocol
{
    /// <summary>A global random share of all (user, item) pairs.</summary>
    Random,
    /// <summary>Per user with ≥ 2 items, a random share round(ratio × n), at least 1 and at most n − 1.</summary>
    PerUser,
    /// <summary>Per user with ≥ 2 items, the latest N by timestamp (at most n − 1): leave-last-N-out.</summary>
    Temporal,
    /// <summary>Per user with ≥ 2 items, the newest round(ratio × n) by timestamp, at least 1 and at most n − 1 (the self-tuning's validation slice).</summary>
    Newest,
}

/// <param name="TestRatio">Share held out by <see cref="SplitProtocol.Random"/> and <see cref="SplitProtocol.PerUser"/>, in (0, 1).</param>
/// <param name="LeaveOut">Items per user held out by <see cref="SplitProtocol.Temporal"/>.</param>
public sealed record SplitOptions(SplitProtocol Protocol = SplitProtocol.Random, double TestRatio = 0.2, int Seed = 42, int LeaveOut = 1);

/// <summary>
/// A train/test split of an <see cref="InteractionLog"/>. Test users are those with at least one held-out and at least
/// one training item; <see cref="Relevant"/>[n] are the held-out items of <see cref="TestUsers"/>[n], sorted.
/// </summary>
public sealed class DataSplit
{
    public InteractionLog Log { get; }
    public SplitOptions Options { get; }
    public LogEntry[] Train { get; }
    public LogEntry[] Test { get; }
    /// <summary>Training matrix over all users and items of the log (held-out pairs absent).</summary>
    public SparseMatrix TrainMatrix { get; }
    public int[] TestUsers { get; }
    public int[][] Relevant { get; }
    /// <summary>Items with at least one training pair: the catalogue a recommender can know (coverage's denominator).</summary>
    public int TrainingItems { get; }
    /// <summary>The training matrix transposed (item × user), built once for the metrics of every recommender scored on this split.</summary>
    public SparseMatrix TrainItemUsers => _trainItemUsers ??= TrainMatrix.Transpose();
    private SparseMatrix? _trainItemUsers;

    private DataSplit(InteractionLog log, SplitOptions options, LogEntry[] train, LogEntry[] test)
    {
        Log = log;
        Options = options;
        Train = train;
        Test = test;
        TrainMatrix = log.ToMatrix(train);
        TrainingItems = train.Select(e => e.Item).Distinct().Count();
        var byUser = test.Where(e => TrainMatrix.RowStart[e.User + 1] > TrainMatrix.RowStart[e.User])
            .GroupBy(e => e.User).OrderBy(g => g.Key).ToArray();
        TestUsers = byUser.Select(g => g.Key).ToArray();
        Relevant = byUser.Select(g => g.Select(e => e.Item).Order().ToArray()).ToArray();
    }

    private DataSplit(DataSplit whole, int[] keep)
    {
        Log = whole.Log;
        Options = whole.Options;
        Train = whole.Train;
        Test = whole.Test;
        TrainMatrix = whole.TrainMatrix;
        TrainingItems = whole.TrainingItems;
        _trainItemUsers = whole._trainItemUsers;
        TestUsers = keep.Select(n => whole.TestUsers[n]).ToArray();
        Relevant = keep.Select(n => whole.Relevant[n]).ToArray();
    }

    /// <summary>The same split scored on at most <paramref name="maxUsers"/> random test users (all when 0 or fewer).</summary>
    public DataSplit Sample(int maxUsers, int seed)
    {
        if (maxUsers <= 0 || TestUsers.Length <= maxUsers) return this;
        var order = Enumerable.Range(0, TestUsers.Length).ToArray();
        new Random(seed).Shuffle(order);
        return new DataSplit(this, order.Take(maxUsers).Order().ToArray());
    }

    /// <summary>Splits the whole log.</summary>
    /// <exception cref="ArgumentException">Bad options, or <see cref="SplitProtocol.Temporal"/> on a log without timestamps.</exception>
    public static DataSplit Create(InteractionLog log, SplitOptions options) => Create(log, log.Entries, options);

    /// <summary>
    /// A validation split carved from this split's training pairs with the same protocol (and a different seed), for
    /// tuning without touching the test pairs.
    /// </summary>
    public DataSplit Validation() => Create(Log, Train, Options with { Seed = Options.Seed + 1 });

    /// <summary>
    /// The self-tuning's validation slice of <paramref name="entries"/> (a training set): each user's newest share
    /// held out (<see cref="SplitProtocol.Newest"/>), or a random per-user share when the log has no timestamps.
    /// </summary>
    public static DataSplit NewestPerUser(InteractionLog log, LogEntry[] entries, double share, int seed) =>
        Create(log, entries, new SplitOptions(entries.All(e => e.Timestamp.HasValue) ? SplitProtocol.Newest : SplitProtocol.PerUser, share, seed));

    /// <summary>Splits <paramref name="entries"/>, a subset of the log (e.g. another split's training pairs).</summary>
    public static DataSplit Create(InteractionLog log, LogEntry[] entries, SplitOptions o)
    {
        if (o.TestRatio is not (> 0 and < 1)) throw new ArgumentException($"the test ratio must be between 0 and 1 (exclusive), not {o.TestRatio}");
        if (o.LeaveOut < 1) throw new ArgumentException($"leave-out must be at least 1, not {o.LeaveOut}");
        if (o.Protocol is SplitProtocol.Temporal or SplitProtocol.Newest && !entries.All(e => e.Timestamp.HasValue))
            throw new ArgumentException("the temporal protocol needs a timestamp on every interaction, and this log has none (or not on every row)");

        var isTest = new bool[entries.Length];
        var rng = new Random(o.Seed);
        switch (o.Protocol)
        {
            case SplitProtocol.Random:
                var order = Enumerable.Range(0, entries.Length).ToArray();
                rng.Shuffle(order);
                var testCount = (int)Math.Round(o.TestRatio * entries.Length, MidpointRounding.AwayFromZero);
                for (var n = 0; n < testCount; n++) isTest[order[n]] = true;
                break;
            case SplitProtocol.PerUser:
                foreach (var rows in RowsByUser(entries))
                {
                    if (rows.Length < 2) continue;
                    var held = Math.Clamp((int)Math.Round(o.TestRatio * rows.Length, MidpointRounding.AwayFromZero), 1, rows.Length - 1);
                    rng.Shuffle(rows);
                    for (var n = 0; n < held; n++) isTest[rows[n]] = true;
                }
                break;
            case SplitProtocol.Temporal:
            case SplitProtocol.Newest:
                foreach (var rows in RowsByUser(entries))
                {
                    if (rows.Length < 2) continue;
                    var held = o.Protocol == SplitProtocol.Temporal
                        ? Math.Min(o.LeaveOut, rows.Length - 1)
                        : Math.Clamp((int)Math.Round(o.TestRatio * rows.Length, MidpointRounding.AwayFromZero), 1, rows.Length - 1);
                    // latest first; ties broken by item index so the split does not depend on row order
                    foreach (var row in rows.OrderByDescending(r => entries[r].Timestamp).ThenBy(r => entries[r].Item).Take(held))
                        isTest[row] = true;
                }
                break;
            default:
                throw new ArgumentException($"unknown protocol {o.Protocol}");
        }
        var train = entries.Where((_, n) => !isTest[n]).ToArray();
        var test = entries.Where((_, n) => isTest[n]).ToArray();
        return new DataSplit(log, o, train, test);
    }

    /// <summary>Row numbers of each user's entries, users in index order.</summary>
    private static IEnumerable<int[]> RowsByUser(LogEntry[] entries) =>
        Enumerable.Range(0, entries.Length).GroupBy(n => entries[n].User).OrderBy(g => g.Key).Select(g => g.ToArray());
}
