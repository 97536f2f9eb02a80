using CarRecommender.Core.Domain;
using CarRecommender.Core.Learning;
using CarRecommender.Core.Recommendation;
using CarRecommender.Core.Recommendation.Ranking;

namespace CarRecommender.Core.Tests;

/// <summary>The event-kind catalogue: complete, unambiguous, and what every rule derived from it says.</summary>
public sealed class EventCatalogueTests
{
    [Fact]
    public void Every_interaction_type_has_exactly_one_kind_with_a_unique_name_that_parses_back()
    {
        Assert.Equal(Enum.GetValues<InteractionType>().Order(), EventCatalogue.All.Select(k => k.Type).Order());
        Assert.Equal(EventCatalogue.All.Count, EventCatalogue.Names.Distinct(StringComparer.OrdinalIgnoreCase).Count());
        foreach (var kind in EventCatalogue.All)
        {
            Assert.True(EventCatalogue.TryParse($" {kind.Name.ToUpperInvariant()} ", out var parsed));
            Assert.Equal(kind.Type, parsed.Type);
        }
        Assert.False(EventCatalogue.TryParse("like", out _));
        Assert.False(EventCatalogue.TryParse(null, out _));
    }

    [Fact]
    public void A_share_weighs_between_a_save_and_a_contact_for_the_learners_the_taste_and_trending()
    {
        static (double Als, double Content, double Trend) W(InteractionType t) => (ImplicitFeedback.WeightOf(t), ContentProfile.WeightOf(t), Trending.WeightOf(t));
        var (save, share, contact) = (W(InteractionType.Save), W(InteractionType.Share), W(InteractionType.Contact));
        Assert.True(save.Als < share.Als && share.Als < contact.Als);
        Assert.True(save.Content < share.Content && share.Content < contact.Content);
        Assert.True(save.Trend < share.Trend && share.Trend < contact.Trend);
        Assert.Equal(7f, ImplicitFeedback.Strength([InteractionType.Share, InteractionType.Save]));
        Assert.Equal(0f, ImplicitFeedback.Strength([InteractionType.Share, InteractionType.Dismiss]));
        Assert.Equal(1f, ImplicitFeedback.Strength([InteractionType.Save, InteractionType.Unsave, InteractionType.View]));
    }

    [Fact]
    public void A_shared_car_is_seen_not_excluded_and_a_contacted_one_is_excluded()
    {
        HistoryItem Item(InteractionType? strongest, bool dismissed = false) => new(1, "VW", "Golf", 2019, strongest, dismissed, null, null);
        Assert.Equal((true, false), (Item(InteractionType.Share).Seen, Item(InteractionType.Share).Excluded));
        Assert.Equal((false, true), (Item(InteractionType.Contact).Seen, Item(InteractionType.Contact).Excluded));
        Assert.Equal((false, true), (Item(InteractionType.Share, dismissed: true).Seen, Item(InteractionType.Share, dismissed: true).Excluded));
        Assert.Equal("shared", EventCatalogue.Of(InteractionType.Share).Verb);
    }

    [Fact]
    public void The_sql_rules_name_every_weighted_kind_and_rank_the_strongest_in_catalogue_order()
    {
        Assert.Equal("CASE type WHEN 'View' THEN 1 WHEN 'Save' THEN 3 WHEN 'Unsave' THEN -3 WHEN 'Share' THEN 4 WHEN 'Contact' THEN 5 ELSE 0 END",
            ImplicitFeedback.SqlWeight);
        var strongest = EventCatalogue.SqlStrongest;
        Assert.True(strongest.IndexOf("'Contact'", StringComparison.Ordinal) < strongest.IndexOf("'Share'", StringComparison.Ordinal));
        Assert.Contains("WHEN sum(CASE type WHEN 'Save' THEN 1 WHEN 'Unsave' THEN -1 ELSE 0 END) > 0 THEN 'Save'", strongest, StringComparison.Ordinal);
        Assert.EndsWith("WHEN bool_or(type IN ('Contact', 'Share', 'Save', 'View')) THEN 'View' END", strongest, StringComparison.Ordinal);
        Assert.Equal("bool_or(type IN ('Dismiss'))", EventCatalogue.SqlVetoed);
    }
}
