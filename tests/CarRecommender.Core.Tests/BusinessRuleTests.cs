using System.Text.Json;
using CarRecommender.Core.Domain;
using CarRecommender.Core.Recommendation;
using CarRecommender.Core.Recommendation.Experiments;
using CarRecommender.Core.Recommendation.Ranking;
using CarRecommender.Core.Recommendation.Rules;
using Microsoft.Extensions.Configuration;

namespace CarRecommender.Core.Tests;

/// <summary>The business rules of a list (promoted slots, seller cap, boosts), the settings they come from, and experiments' arithmetic.</summary>
public sealed class BusinessRuleTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);

    private static ScoredCandidate Scored(long id, double score, string? seller = null, bool promoted = false, FuelType fuel = FuelType.Petrol,
        string make = "VW", string model = "Golf") =>
        new(new Candidate(id, make, model + id, 2020, 20_000, BodyType.Suv, null, null, 0, null)
        {
            SellerId = seller,
            PromotedUntil = promoted ? Now.AddDays(3) : Now.AddDays(-1),
            Fuel = fuel,
        }, score, RecommendationSource.Content);

    [Fact]
    public void Promoted_listings_take_only_slots_that_keep_every_prefix_within_the_share()
    {
        var organic = Enumerable.Range(1, 20).Select(i => "o" + i).ToList();
        var promoted = Enumerable.Range(1, 10).Select(i => "p" + i).ToList();
        var list = ListRules.Slot(organic, promoted, new BusinessRules { PromotedShare = 0.2 }, 20);
        Assert.Equal(20, list.Count);
        Assert.Equal([4, 9, 14, 19], list.Select((x, i) => (x, i)).Where(t => t.x.StartsWith('p')).Select(t => t.i));
        for (var n = 1; n <= list.Count; n++)
            Assert.True(list.Take(n).Count(x => x.StartsWith('p')) <= Math.Floor(0.2 * n), $"prefix {n} has too many promoted");
        Assert.DoesNotContain(list, x => x.StartsWith('p') && x != "p1" && x != "p2" && x != "p3" && x != "p4");
    }

    [Fact]
    public void Diversity_marks_the_most_relevant_promoted_listings_and_leaves_the_others_out()
    {
        var ranked = Enumerable.Range(1, 12).Select(i => Scored(i, 1 - i * 0.01))
            .Concat([Scored(100, 0.3, promoted: true), Scored(101, 0.2, promoted: true), Scored(102, 0.99, promoted: true)]).ToList();
        var list = new Diversity(rules: new BusinessRules { PromotedShare = 0.2 }).Apply(UserTaste.Cold, ranked, 10, Now);
        Assert.Equal(10, list.Count);
        var promoted = list.Where(s => s.Candidate.IsPromoted(Now)).ToList();
        Assert.Equal([102, 100], promoted.Select(s => s.Candidate.ListingId));
        Assert.Equal(102, list[4].Candidate.ListingId);
        Assert.All(promoted, s => Assert.Contains(s.Notes!, n => n.StartsWith("Promoted listing", StringComparison.Ordinal)));
        Assert.DoesNotContain(list, s => s.Candidate.ListingId == 101);
    }

    [Fact]
    public void The_seller_cap_holds_and_is_noted_on_the_capped_sellers_picks()
    {
        var ranked = Enumerable.Range(1, 6).Select(i => Scored(i, 1 - i * 0.01, seller: "dealer-a"))
            .Concat(Enumerable.Range(10, 6).Select(i => Scored(i, 0.5 - i * 0.01, seller: null))).ToList();
        var list = new Diversity(rules: new BusinessRules { MaxPerSeller = 2 }).Apply(UserTaste.Cold, ranked, 6, Now);
        Assert.Equal(6, list.Count);
        Assert.Equal(2, list.Count(s => s.Candidate.SellerId == "dealer-a"));
        Assert.All(list.Where(s => s.Candidate.SellerId == "dealer-a"), s => Assert.Contains(ListRules.SellerCapNote(2), s.Notes!));
        Assert.All(list.Where(s => s.Candidate.SellerId is null), s => Assert.Null(s.Notes));
    }

    [Fact]
    public void A_boost_multiplies_matching_scores_reorders_and_says_so()
    {
        var boosts = new[] { new Boost("car.Fuel == \"Electric\"", 1.5) };
        var ranked = new[] { Scored(1, 0.9), Scored(2, 0.7, fuel: FuelType.Electric), Scored(3, 0.5) };
        var boosted = new Boosting(boosts).Apply(UserTaste.Cold, ranked, 3, Now);
        Assert.Equal([2, 1, 3], boosted.Select(s => s.Candidate.ListingId));
        Assert.Equal(1.05, boosted[0].Score, 6);
        Assert.Equal(["Boosted ×1.5: car.Fuel == \"Electric\""], boosted[0].Notes);
        Assert.Null(boosted[1].Notes);
    }

    [Fact]
    public void A_boost_that_does_not_parse_is_refused_with_its_text()
    {
        var e = Assert.Throws<ArgumentException>(() => new Boost("car.Colour == 'red'", 1.2).Validate());
        Assert.Contains("car.Colour", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new Boost("car.Year > 2020", 0).Validate());
    }

    [Fact]
    public void A_variant_overrides_only_what_it_names_and_gets_its_own_fingerprint()
    {
        var defaults = EngineSettings.Default;
        using var json = JsonDocument.Parse("""{"ranking": {"lambda": 0.8}, "rules": {"maxPerSeller": 1, "boosts": [{"when": "car.Year >= 2022", "factor": 1.2}]}}""");
        var variant = defaults.Override(json.RootElement);
        Assert.Equal(0.8, variant.Ranking.Lambda);
        Assert.Equal(defaults.Ranking.MaxPerModel, variant.Ranking.MaxPerModel);
        Assert.Equal(1, variant.Rules.MaxPerSeller);
        Assert.Equal(defaults.Rules.PromotedShare, variant.Rules.PromotedShare);
        Assert.Single(variant.Rules.Boosts);
        Assert.NotEqual(defaults.Fingerprint, variant.Fingerprint);
        Assert.Equal(defaults.Fingerprint, new EngineSettings().Fingerprint);
        using var empty = JsonDocument.Parse("{}");
        Assert.Equal(defaults.Fingerprint, defaults.Override(empty.RootElement).Fingerprint);
    }

    [Theory]
    [InlineData("""{"ranking": {"lambda": 2}}""", "lambda")]
    [InlineData("""{"sources": ["content", "magic"]}""", "magic")]
    [InlineData("""{"rules": {"boosts": [{"when": "car.Nope > 1", "factor": 2}]}}""", "car.Nope")]
    [InlineData("""{"rankin": {}}""", "rankin")]
    public void A_bad_variant_is_refused_naming_what_is_wrong(string overrides, string named)
    {
        using var json = JsonDocument.Parse(overrides);
        var e = Assert.Throws<ArgumentException>(() => EngineSettings.Default.Override(json.RootElement));
        Assert.Contains(named, e.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void The_configuration_section_sets_the_defaults()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Recommendations:Rules:MaxPerSeller"] = "2",
            ["Recommendations:Rules:PromotedShare"] = "0.1",
            ["Recommendations:Rules:Boosts:0:When"] = "car.Fuel == \"Electric\"",
            ["Recommendations:Rules:Boosts:0:Factor"] = "1.2",
            ["Recommendations:Ranking:Lambda"] = "0.9",
        }).Build();
        var settings = EngineServices.Settings(configuration);
        Assert.Equal(2, settings.Rules.MaxPerSeller);
        Assert.Equal(0.1, settings.Rules.PromotedShare);
        Assert.Equal(1.2, Assert.Single(settings.Rules.Boosts).Factor);
        Assert.Equal(0.9, settings.Ranking.Lambda);
        Assert.Equal(new RankingOptions().MaxPerModel, settings.Ranking.MaxPerModel);

        var bad = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Recommendations:Rules:Boosts:0:When"] = "car.", ["Recommendations:Rules:Boosts:0:Factor"] = "1.2" }).Build();
        Assert.Throws<InvalidOperationException>(() => EngineServices.Settings(bad));
    }

    [Fact]
    public void Assignment_splits_units_by_share_and_is_stable()
    {
        var experiment = ExperimentRegistry.Resolve(1, "blend-test", [new VariantDefinition("control", 0.3, null), new VariantDefinition("treatment", 0.7, null)],
            EngineSettings.Default);
        var assigned = Enumerable.Range(1, 2000).Select(i => experiment.Assign(Units.User(i)).Variant.Name).ToList();
        var control = assigned.Count(v => v == "control") / 2000.0;
        Assert.InRange(control, 0.27, 0.33);
        Assert.Equal(assigned, Enumerable.Range(1, 2000).Select(i => experiment.Assign(Units.User(i)).Variant.Name));
        // another experiment reshuffles: the same users are not always the control
        var other = ExperimentRegistry.Resolve(2, "other", [new VariantDefinition("a", 0.3, null), new VariantDefinition("b", 0.7, null)], EngineSettings.Default);
        var overlap = Enumerable.Range(1, 2000).Count(i => other.Assign(Units.User(i)).Variant.Name == "a" && assigned[i - 1] == "control") / 2000.0;
        Assert.InRange(overlap, 0.06, 0.12);
    }

    [Theory]
    [InlineData(0.5, 0.4)]
    [InlineData(0.5, 0.6)]
    public void Shares_must_add_up_to_one(double a, double b)
    {
        var e = Assert.Throws<ArgumentException>(() => ExperimentRegistry.Resolve(1, "x", [new VariantDefinition("a", a, null), new VariantDefinition("b", b, null)], EngineSettings.Default));
        Assert.Contains("add up", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Wilson_intervals_and_the_two_proportion_test_match_published_values()
    {
        // 10 of 100: Wilson 95 % [0.0552, 0.1744]
        var p = ProportionTest.Wilson(10, 100);
        Assert.Equal(0.10, p.Rate, 6);
        Assert.Equal(0.0552, p.Low, 4);
        Assert.Equal(0.1744, p.High, 4);
        // 0 of 50 stays inside [0, 1]
        Assert.Equal(0, ProportionTest.Wilson(0, 50).Low, 12);
        // 50/1000 vs 80/1000: z = -2.72, p = 0.0065
        Assert.Equal(0.0065, ProportionTest.PValue(50, 1000, 80, 1000)!.Value, 4);
        Assert.Equal(1.0, ProportionTest.PValue(30, 300, 30, 300)!.Value, 6);
        Assert.Null(ProportionTest.PValue(0, 10, 0, 10));
        Assert.Null(ProportionTest.PValue(1, 0, 0, 10));
    }
}
