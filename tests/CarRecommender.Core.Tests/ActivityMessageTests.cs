using System.Text;
using CarRecommender.Core.Domain;
using CarRecommender.Core.Events;

namespace CarRecommender.Core.Tests;

public class ActivityMessageTests
{
    private static UserActivityEvent Event(long user, long listing, InteractionType type) =>
        new(Guid.NewGuid(), user, listing, type, DateTimeOffset.UnixEpoch.AddDays(user), DateTimeOffset.UnixEpoch.AddDays(user).AddSeconds(1), null);

    [Fact]
    public void Events_published_as_one_message_are_read_back_each_with_its_own_json()
    {
        UserActivityEvent[] events = [Event(1, 10, InteractionType.View), Event(2, 20, InteractionType.Save), Event(3, 30, InteractionType.Contact)];
        var parts = ActivityMessage.Parse(ActivityMessage.ToJson(events));
        Assert.Equal(events, parts.Select(p => p.Event));
        Assert.All(parts, p => Assert.Null(p.Error));
        // each part alone is a single-event message (what a dead letter or a split carries)
        Assert.Equal(events, parts.Select(p => UserActivityEvent.Parse(p.Json.Span, out _)));
    }

    [Fact]
    public void A_single_event_object_is_a_message_of_one_as_it_came()
    {
        var e = Event(4, 40, InteractionType.Dismiss);
        var body = e.ToJson();
        var part = Assert.Single(ActivityMessage.Parse(body));
        Assert.Equal(e, part.Event);
        Assert.Equal(body, part.Json.ToArray());
    }

    [Fact]
    public void A_bad_event_in_an_array_is_a_part_with_its_reason_and_the_others_still_parse()
    {
        var good = Event(5, 50, InteractionType.View);
        var body = Encoding.UTF8.GetBytes($"[{Encoding.UTF8.GetString(good.ToJson())}, {{\"eventId\": \"{Guid.NewGuid()}\", \"listingId\": 7}}]");
        var parts = ActivityMessage.Parse(body);
        Assert.Equal(2, parts.Count);
        Assert.Equal(good, parts[0].Event);
        Assert.Null(parts[1].Event);
        Assert.Equal("userId is missing", parts[1].Error);
        Assert.Contains("\"listingId\":7", Encoding.UTF8.GetString(parts[1].Json.Span), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[{\"eventId\": ", "malformed JSON")]
    [InlineData("  []", "empty message")]
    [InlineData("{not json", "malformed JSON")]
    public void An_unreadable_body_is_one_part_with_the_whole_body_and_why(string body, string reason)
    {
        var part = Assert.Single(ActivityMessage.Parse(Encoding.UTF8.GetBytes(body)));
        Assert.Null(part.Event);
        Assert.StartsWith(reason, part.Error, StringComparison.Ordinal);
        Assert.Equal(body, Encoding.UTF8.GetString(part.Json.Span));
    }
}
