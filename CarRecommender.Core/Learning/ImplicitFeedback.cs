using CarRecommender.Core.Domain;

namespace CarRecommender.Core.Learning;

/// <summary>
/// How the interaction log becomes implicit-feedback strengths r for ALS (confidence c = 1 + α·r): per user and listing
/// the sum of view 1, save 3, contact 5 and unsave −3 (it cancels a save), floored at zero; a dismissed listing has no
/// positive signal at all. The same rule serves training and per-event fold-in, so both see the same data.
/// </summary>
public static class ImplicitFeedback
{
    public static float WeightOf(InteractionType type) => type switch
    {
        InteractionType.View => 1,
        InteractionType.Save => 3,
        InteractionType.Contact => 5,
        InteractionType.Unsave => -3,
        _ => 0,
    };

    public static float Strength(IEnumerable<InteractionType> types)
    {
        float sum = 0;
        foreach (var t in types)
        {
            if (t == InteractionType.Dismiss) return 0;
            sum += WeightOf(t);
        }
        return Math.Max(0, sum);
    }

    /// <summary>The SQL expression of <see cref="WeightOf"/> over a <c>type</c> column, for aggregating in the database.</summary>
    public const string SqlWeight = "CASE type WHEN 'View' THEN 1 WHEN 'Save' THEN 3 WHEN 'Contact' THEN 5 WHEN 'Unsave' THEN -3 ELSE 0 END";

    /// <summary>The SQL aggregate of <see cref="Strength"/> per group.</summary>
    public const string SqlStrength = $"CASE WHEN bool_or(type = 'Dismiss') THEN 0 ELSE greatest(0, sum({SqlWeight})) END";
}
