using CarRecommender.Core.Domain;
using CarRecommender.Core.Learning;

namespace CarRecommender.Core.Tests;

public class ContentProfileTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void One_positive_event_makes_the_vector_that_listing()
    {
        var profile = ContentProfile.Empty(3, T0).Apply([1, 2, 3], InteractionType.Save, T0);
        Assert.Equal([1f, 2f, 3f], profile.Vector()!);
    }

    [Fact]
    public void The_mean_is_weighted_by_event_type()
    {
        var p = ContentProfile.Empty(2, T0).Apply([1, 0], InteractionType.View, T0).Apply([0, 1], InteractionType.Contact, T0);
        var v = p.Vector()!;
        Assert.Equal(1 / 6.0, v[0], 5);
        Assert.Equal(5 / 6.0, v[1], 5);
    }

    [Fact]
    public void Older_events_count_less_by_the_half_life()
    {
        var later = T0 + ContentProfile.HalfLife;
        var p = ContentProfile.Empty(2, T0).Apply([1, 0], InteractionType.View, T0).Apply([0, 1], InteractionType.View, later);
        var v = p.Vector()!;
        // the first view is one half-life old: weight 0.5 against 1
        Assert.Equal(0.5 / 1.5, v[0], 5);
        Assert.Equal(1 / 1.5, v[1], 5);

        // the same events arriving in the other order give the same profile
        var q = ContentProfile.Empty(2, T0).Apply([0, 1], InteractionType.View, later).Apply([1, 0], InteractionType.View, T0);
        Assert.Equal(v[0], q.Vector()![0], 5);
        Assert.Equal(v[1], q.Vector()![1], 5);
    }

    [Fact]
    public void A_dismiss_pushes_away_without_adding_weight_and_alone_gives_no_vector()
    {
        var liked = ContentProfile.Empty(2, T0).Apply([1, 1], InteractionType.Save, T0);
        var pushed = liked.Apply([0, 1], InteractionType.Dismiss, T0);
        Assert.Equal(liked.Weight, pushed.Weight);
        Assert.True(pushed.Vector()![1] < liked.Vector()![1]);
        Assert.Equal(liked.Vector()![0], pushed.Vector()![0]);

        Assert.Null(ContentProfile.Empty(2, T0).Apply([1, 0], InteractionType.Dismiss, T0).Vector());
    }

    [Fact]
    public void Wrong_dimensions_are_refused()
    {
        Assert.Throws<ArgumentException>(() => ContentProfile.Empty(3, T0).Apply([1, 2], InteractionType.View, T0));
    }
}
