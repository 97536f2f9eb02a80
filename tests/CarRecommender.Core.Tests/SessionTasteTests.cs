using CarRecommender.Core.Domain;
using CarRecommender.Core.Recommendation.Taste;

namespace CarRecommender.Core.Tests;

public class SessionTasteTests
{
    private static SessionSignal S(float[]? content, InteractionType type) => new(content, type);

    [Fact]
    public void One_view_makes_the_taste_that_listing()
    {
        Assert.Equal([1f, 2f, 3f], SessionTasteLoader.Content([S([1, 2, 3], InteractionType.View)])!);
    }

    [Fact]
    public void A_save_pulls_three_times_as_hard_as_a_view_of_the_same_age()
    {
        // both at the same recency would need the same position; compare a save and a view each as the newest of its own pair
        var saved = SessionTasteLoader.Content([S([0, 1], InteractionType.Save), S([1, 0], InteractionType.View)])!;
        var viewed = SessionTasteLoader.Content([S([0, 1], InteractionType.View), S([1, 0], InteractionType.View)])!;
        var older = Math.Pow(0.5, 1 / SessionTasteLoader.HalfLifeEvents);
        Assert.Equal(3 / (3 + older), saved[1], 5);
        Assert.Equal(1 / (1 + older), viewed[1], 5);
    }

    [Fact]
    public void An_event_counts_half_as_much_once_a_half_life_of_newer_events_came_after_it()
    {
        var newer = Enumerable.Repeat(S([0, 1], InteractionType.View), (int)SessionTasteLoader.HalfLifeEvents).ToList();
        var taste = SessionTasteLoader.Content([.. newer, S([1, 0], InteractionType.View)])!;
        var newerWeight = Enumerable.Range(0, newer.Count).Sum(i => Math.Pow(0.5, i / SessionTasteLoader.HalfLifeEvents));
        Assert.Equal(0.5 / (newerWeight + 0.5), taste[0], 5);
    }

    [Fact]
    public void The_newest_of_two_listings_pulls_the_taste_towards_itself()
    {
        var taste = SessionTasteLoader.Content([S([0, 1], InteractionType.View), S([1, 0], InteractionType.View)])!;
        Assert.True(taste[1] > taste[0]);
    }

    [Fact]
    public void A_dismissal_pushes_away_without_adding_weight_and_alone_gives_no_taste()
    {
        var liked = SessionTasteLoader.Content([S([1, 1], InteractionType.Save)])!;
        var pushed = SessionTasteLoader.Content([S([0, 1], InteractionType.Dismiss), S([1, 1], InteractionType.Save)])!;
        Assert.True(pushed[1] < liked[1]);
        // the save's weight alone divides the sum: the first dimension, untouched by the dismissal, keeps its value
        Assert.Equal(liked[0], pushed[0], 5);

        Assert.Null(SessionTasteLoader.Content([S([1, 0], InteractionType.Dismiss)]));
    }

    [Fact]
    public void Listings_without_a_vector_and_an_empty_session_give_no_taste()
    {
        Assert.Null(SessionTasteLoader.Content([]));
        Assert.Null(SessionTasteLoader.Content([S(null, InteractionType.Save)]));
        Assert.Equal([2f, 0f], SessionTasteLoader.Content([S(null, InteractionType.Save), S([2, 0], InteractionType.View)])!);
    }
}
