using CarRecommender.Core.Domain;
using CarRecommender.Core.Recommendation;

namespace CarRecommender.Core.Learning;

/// <summary>
/// How the interaction log becomes implicit-feedback strengths r for ALS (confidence c = 1 + α·r): per user and listing
/// the sum of the kinds' strengths from <see cref="EventCatalogue"/> (view 1, save 3, share 4, contact 5, unsave −3,
/// which cancels a save), floored at zero; a dismissed listing has no positive signal at all. The same rule serves
/// training and per-event fold-in, so both see the same data.
/// </summary>
public static class ImplicitFeedback
{
    public static float WeightOf(InteractionType type) => EventCatalogue.Of(type).Strength;

    public static float Strength(IEnumerable<InteractionType> types)
    {
        float sum = 0;
        foreach (var t in types)
        {
            if (EventCatalogue.Of(t).Vetoes) return 0;
            sum += WeightOf(t);
        }
        return Math.Max(0, sum);
    }

    /// <summary>The SQL expression of <see cref="WeightOf"/> over a <c>type</c> column, for aggregating in the database.</summary>
    public static readonly string SqlWeight = EventCatalogue.SqlCase(k => k.Strength);

    /// <summary>The SQL aggregate of <see cref="Strength"/> per group.</summary>
    public static readonly string SqlStrength = $"CASE WHEN {EventCatalogue.SqlVetoed} THEN 0 ELSE greatest(0, sum({SqlWeight})) END";
}
