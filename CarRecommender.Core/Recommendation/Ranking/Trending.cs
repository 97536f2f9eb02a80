using CarRecommender.Core.Domain;

namespace CarRecommender.Core.Recommendation.Ranking;

/// <summary>
/// A listing's trending score: the sum of its recent interactions' weights, each decayed with a half-life of
/// <see cref="HalfLife"/>. It is stored as one number, <c>key = ln Σ wᵢ·e^(tᵢ/τ)</c>, which never has to be decayed
/// in place: adding an event is a log-sum-exp, the score at time t is <c>e^(key − t/τ)</c>, and ordering by the key
/// orders by the current score, so a plain b-tree index serves "most trending first".
/// </summary>
public static class Trending
{
    public static readonly TimeSpan HalfLife = TimeSpan.FromHours(48);
    private static readonly double TauSeconds = HalfLife.TotalSeconds / Math.Log(2);

    /// <summary>The key of a listing nobody has interacted with (its score is 0 for all practical purposes).</summary>
    public const double None = 0;

    /// <summary>What an interaction adds: contacts and saves say more than views; dismissals and unsaves add nothing.</summary>
    public static double WeightOf(InteractionType type) => EventCatalogue.Of(type).TrendWeight;

    public static double Key(double weight, DateTimeOffset at) => Math.Log(weight) + at.ToUnixTimeMilliseconds() / 1000.0 / TauSeconds;

    /// <summary>The key of the sum of two keys' scores (log-sum-exp, stable for any magnitudes).</summary>
    public static double Add(double a, double b) => Math.Max(a, b) + Math.Log(1 + Math.Exp(-Math.Abs(a - b)));

    /// <summary>The decayed score of a key at a time.</summary>
    public static double Score(double key, DateTimeOffset now) =>
        key <= None ? 0 : Math.Exp(key - now.ToUnixTimeMilliseconds() / 1000.0 / TauSeconds);

    /// <summary>One key for a listing's new events (null when none of them carries weight).</summary>
    public static double? KeyOf(IEnumerable<(InteractionType Type, DateTimeOffset At)> events)
    {
        double? key = null;
        foreach (var (type, at) in events)
        {
            var w = WeightOf(type);
            if (w <= 0) continue;
            var k = Key(w, at);
            key = key is { } acc ? Add(acc, k) : k;
        }
        return key;
    }
}
