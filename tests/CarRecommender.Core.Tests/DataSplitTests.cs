using CarRecommender.Core.Evaluation;

namespace CarRecommender.Core.Tests;

public class DataSplitTests
{
    /// <summary>20 users; user u has u % 10 + 1 items (1…10), item i of a user at time 1000·u + i (later items are newer).</summary>
    private static InteractionLog Log(bool timestamps = true) => InteractionLog.Aggregate(
        from u in Enumerable.Range(0, 20)
        from i in Enumerable.Range(0, u % 10 + 1)
        select ($"u{u}", $"i{(u * 7 + i) % 30}", 1f, timestamps ? (long?)(1000 * u + i) : null));

    private static HashSet<(int, int)> Pairs(IEnumerable<LogEntry> entries) => entries.Select(e => (e.User, e.Item)).ToHashSet();

    [Fact]
    public void Random_hold_out_takes_the_ratio_of_all_pairs_disjoint_from_training()
    {
        var log = Log();
        var split = DataSplit.Create(log, new SplitOptions(SplitProtocol.Random, 0.2, Seed: 3));
        Assert.Equal(110, log.Entries.Length);
        Assert.Equal(22, split.Test.Length);
        Assert.Equal(88, split.Train.Length);
        Assert.Empty(Pairs(split.Train).Intersect(Pairs(split.Test)));
        Assert.Equal(Pairs(log.Entries), Pairs(split.Train).Union(Pairs(split.Test)).ToHashSet());
        Assert.Equal(88, split.TrainMatrix.NonZeros);
    }

    [Fact]
    public void Splits_are_deterministic_for_a_seed_and_differ_across_seeds()
    {
        var log = Log();
        foreach (var protocol in new[] { SplitProtocol.Random, SplitProtocol.PerUser })
        {
            var a = DataSplit.Create(log, new SplitOptions(protocol, 0.3, Seed: 5));
            var b = DataSplit.Create(log, new SplitOptions(protocol, 0.3, Seed: 5));
            var c = DataSplit.Create(log, new SplitOptions(protocol, 0.3, Seed: 6));
            Assert.Equal(a.Test, b.Test);
            Assert.NotEqual(Pairs(a.Test), Pairs(c.Test));
        }
    }

    [Fact]
    public void Per_user_hold_out_takes_the_rounded_ratio_of_each_user_with_two_or_more_items()
    {
        var log = Log();
        var split = DataSplit.Create(log, new SplitOptions(SplitProtocol.PerUser, 0.2, Seed: 1));
        var heldOut = split.Test.GroupBy(e => e.User).ToDictionary(g => g.Key, g => g.Count());
        for (var u = 0; u < log.Users; u++)
        {
            var n = log.Entries.Count(e => e.User == u);
            // n = 1: none; otherwise round(0.2·n), at least 1 (n = 2…7 → 1; n = 8…10 → 2)
            var expected = n < 2 ? 0 : Math.Max(1, (int)Math.Round(0.2 * n, MidpointRounding.AwayFromZero));
            Assert.Equal(expected, heldOut.GetValueOrDefault(u));
        }
        Assert.Empty(Pairs(split.Train).Intersect(Pairs(split.Test)));
        // every user with ≥ 2 items keeps training items, so each is a test user
        Assert.Equal(18, split.TestUsers.Length);
    }

    [Fact]
    public void Temporal_hold_out_takes_each_users_latest_items()
    {
        var log = Log();
        var split = DataSplit.Create(log, new SplitOptions(SplitProtocol.Temporal, LeaveOut: 2));
        for (var u = 0; u < log.Users; u++)
        {
            var mine = log.Entries.Where(e => e.User == u).OrderByDescending(e => e.Timestamp).ToArray();
            var held = split.Test.Where(e => e.User == u).ToArray();
            // at most n − 1 held out, so a user keeps at least one training item
            Assert.Equal(Math.Min(2, mine.Length - 1), held.Length);
            Assert.Equal(Pairs(mine.Take(held.Length)), Pairs(held));
        }
    }

    [Fact]
    public void Temporal_hold_out_needs_timestamps()
    {
        var error = Assert.Throws<ArgumentException>(() => DataSplit.Create(Log(timestamps: false), new SplitOptions(SplitProtocol.Temporal)));
        Assert.Contains("timestamp", error.Message);
    }

    [Fact]
    public void Test_users_have_held_out_and_training_items_and_their_relevant_sets_are_the_held_out_items()
    {
        var log = Log();
        var split = DataSplit.Create(log, new SplitOptions(SplitProtocol.Random, 0.5, Seed: 9));
        for (var n = 0; n < split.TestUsers.Length; n++)
        {
            var u = split.TestUsers[n];
            Assert.True(split.TrainMatrix.RowStart[u + 1] > split.TrainMatrix.RowStart[u]);
            Assert.Equal(split.Test.Where(e => e.User == u).Select(e => e.Item).Order(), split.Relevant[n]);
        }
        var expected = split.Test.Select(e => e.User).Distinct().Count(u => split.Train.Any(e => e.User == u));
        Assert.Equal(expected, split.TestUsers.Length);
    }

    [Fact]
    public void Validation_split_is_carved_from_the_training_pairs_only()
    {
        var split = DataSplit.Create(Log(), new SplitOptions(SplitProtocol.PerUser, 0.2));
        var validation = split.Validation();
        Assert.Empty(Pairs(validation.Test).Intersect(Pairs(split.Test)));
        Assert.Equal(Pairs(split.Train), Pairs(validation.Train).Union(Pairs(validation.Test)).ToHashSet());
    }
}
