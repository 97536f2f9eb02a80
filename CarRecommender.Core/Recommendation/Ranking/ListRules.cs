using System.Globalization;
using CarRecommender.Core.Recommendation.Rules;

namespace CarRecommender.Core.Recommendation.Ranking;

/// <summary>The post-processors of a list under one set of settings, in order: boosts, then diversity and the rules of a list.</summary>
public static class ListRules
{
    public static IReadOnlyList<IPostProcessor> PostProcessors(EngineSettings settings) =>
        settings.Rules.Boosts.Count == 0
            ? [new Diversity(settings.Ranking, settings.Rules)]
            : [new Boosting(settings.Rules.Boosts), new Diversity(settings.Ranking, settings.Rules)];

    /// <summary>
    /// Orders organic and promoted items into one list where every prefix keeps promoted items to their share: the k-th
    /// promoted item goes to the first slot i (1-based) with ⌊share·i⌋ ≥ k. Promoted items that find no slot before the
    /// organic ones run out are left out. Used when a list is made and when a stored list is served through a filter
    /// (which may remove organic items between promoted ones).
    /// </summary>
    public static List<T> Slot<T>(IReadOnlyList<T> organic, IReadOnlyList<T> promoted, BusinessRules rules, int limit)
    {
        var list = new List<T>(limit);
        var (o, p) = (0, 0);
        while (list.Count < limit && (o < organic.Count || p < promoted.Count))
        {
            var slot = list.Count + 1;
            if (p < promoted.Count && rules.PromotedSlots(slot) > p) list.Add(promoted[p++]);
            else if (o < organic.Count) list.Add(organic[o++]);
            else break;
        }
        return list;
    }

    /// <summary>The note a promoted pick carries.</summary>
    public static string PromotedNote(DateTimeOffset until) =>
        string.Create(CultureInfo.InvariantCulture, $"Promoted listing (paid placement until {until:yyyy-MM-dd HH:mm} UTC)");

    /// <summary>The note a pick carries when its seller reached the cap.</summary>
    public static string SellerCapNote(int cap) => $"Seller cap: at most {cap} listings of this seller in a list";
}

/// <summary>
/// The boosts of the configuration (or of an experiment variant): each candidate whose facts match a boost's expression
/// gets its score multiplied by the factor and a note saying so; the list is re-sorted.
/// </summary>
public sealed class Boosting(IReadOnlyList<Boost> boosts) : IPostProcessor
{
    public IReadOnlyList<ScoredCandidate> Apply(UserTaste taste, IReadOnlyList<ScoredCandidate> ranked, int limit, DateTimeOffset now)
    {
        var result = new ScoredCandidate[ranked.Count];
        for (var i = 0; i < ranked.Count; i++)
        {
            var s = ranked[i];
            var facts = Facts(s.Candidate, now);
            foreach (var boost in boosts)
                if (boost.Predicate(facts))
                    s = s.Noted(boost.Note) with { Score = s.Score * boost.Factor };
            result[i] = s;
        }
        Array.Sort(result, ScoredCandidate.BestFirst);
        return result;
    }

    public static BoostFacts Facts(Candidate c, DateTimeOffset now) => new(c.Make, c.Model, c.Year, c.Price, c.MileageKm, c.PowerKw,
        c.Fuel.ToString(), c.Transmission.ToString(), c.BodyType.ToString(), c.SellerType.ToString(), c.IsPromoted(now));
}
