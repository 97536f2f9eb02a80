using CarRecommender.Core.Evaluation;

namespace CarRecommender.Core.Tests;

public class InteractionLogReaderTests
{
    private static InteractionLog Read(string text, double? minValue = null) => InteractionLogReader.Read(new StringReader(text), minValue);

    [Fact]
    public void Reads_comma_separated_pairs_without_header_with_value_one()
    {
        var log = Read("u1,a\nu1,b\nu2,a\n");
        Assert.Equal(["u1", "u2"], log.UserIds);
        Assert.Equal(["a", "b"], log.ItemIds);
        Assert.Equal(3, log.Entries.Length);
        Assert.All(log.Entries, e => Assert.Equal(1f, e.Value));
        Assert.False(log.HasTimestamps);
    }

    [Fact]
    public void Reads_tab_separated_rows_with_a_header_values_and_timestamps()
    {
        var log = Read("userId\tmovieId\trating\ttimestamp\n7\t42\t4.5\t964982703\n8\t42\t3\t2024-05-01T10:00:00Z\n");
        Assert.Equal(2, log.Entries.Length);
        Assert.Equal(new LogEntry(0, 0, 4.5f, 964982703), log.Entries[0]);
        Assert.Equal(new DateTimeOffset(2024, 5, 1, 10, 0, 0, TimeSpan.Zero).ToUnixTimeSeconds(), log.Entries[1].Timestamp);
        Assert.True(log.HasTimestamps);
    }

    [Fact]
    public void Detects_a_header_by_a_non_numeric_value_column()
    {
        var log = Read("who,what,how much\nu1,a,2\n");
        Assert.Single(log.Entries);
        Assert.Equal("u1", log.UserIds[0]);
    }

    [Fact]
    public void Min_value_drops_rows_below_it_and_the_users_and_items_left_without_rows()
    {
        var log = Read("u1,a,5\nu1,b,2\nu2,b,3\nu3,c,4\n", minValue: 4);
        Assert.Equal(["u1", "u3"], log.UserIds);
        Assert.Equal(["a", "c"], log.ItemIds);
        Assert.Equal([5f, 4f], log.Entries.Select(e => e.Value));
    }

    [Fact]
    public void Duplicate_pairs_sum_their_values_and_keep_the_latest_timestamp()
    {
        var log = Read("u1,a,1,100\nu1,a,3,300\nu1,a,1,200\n");
        Assert.Equal(new LogEntry(0, 0, 5, 300), Assert.Single(log.Entries));
    }

    [Theory]
    [InlineData("u1,a,1\nu2,b\n", "line 2")]
    [InlineData("u1,a,1\nu2,b,1\nu3,c,lots\n", "line 3")]
    [InlineData("u1,a,1,100\nu2,b,1,yesterday-ish\n", "line 2")]
    public void Malformed_rows_fail_with_their_line_number(string text, string where)
    {
        var error = Assert.Throws<FormatException>(() => Read(text));
        Assert.StartsWith(where + ":", error.Message);
    }
}
