using CarRecommender.Core.Recommendation.Experiments;
using Npgsql;

namespace CarRecommender.Api.Recommendations;

/// <summary>What one variant's served lists led to.</summary>
public sealed record VariantCounts(string Variant, long Lists, long Units, long Clicks, long Saves, long Contacts, long ListsClicked, long ListsContacted);

/// <summary>
/// An experiment's read-out. The unit of the rates is a served list: its click-through is "the list led to at least one
/// view" and its contact rate "…to at least one contact" (events that carry the list's recommendationId, from users and
/// from anonymous sessions), so every list is one Bernoulli trial and the two-proportion test applies.
/// </summary>
public static class ExperimentResults
{
    public static async Task<Dictionary<string, VariantCounts>> CountAsync(NpgsqlDataSource dataSource, long experimentId, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand("""
            WITH lists AS (SELECT id, variant, coalesce(user_id::text, session_id::text) AS unit FROM served_lists WHERE experiment_id = $1),
            events AS (
                SELECT recommendation_id, type FROM interactions WHERE recommendation_id IN (SELECT id FROM lists)
                UNION ALL
                SELECT recommendation_id, type FROM session_events WHERE recommendation_id IN (SELECT id FROM lists)),
            per_list AS (
                SELECT l.id, l.variant, l.unit,
                       count(e.type) FILTER (WHERE e.type = 'View') AS clicks,
                       count(e.type) FILTER (WHERE e.type = 'Save') AS saves,
                       count(e.type) FILTER (WHERE e.type = 'Contact') AS contacts
                FROM lists l LEFT JOIN events e ON e.recommendation_id = l.id
                GROUP BY l.id, l.variant, l.unit)
            SELECT variant, count(*), count(DISTINCT unit), sum(clicks), sum(saves), sum(contacts),
                   count(*) FILTER (WHERE clicks > 0), count(*) FILTER (WHERE contacts > 0)
            FROM per_list GROUP BY variant
            """);
        cmd.Parameters.AddWithValue(experimentId);
        var result = new Dictionary<string, VariantCounts>(StringComparer.Ordinal);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var variant = reader.GetString(0);
            result[variant] = new VariantCounts(variant, reader.GetInt64(1), reader.GetInt64(2), (long)reader.GetDecimal(3), (long)reader.GetDecimal(4),
                (long)reader.GetDecimal(5), reader.GetInt64(6), reader.GetInt64(7));
        }
        return result;
    }

    /// <summary>Each variant's rates with intervals, and the tests against the first variant (the control).</summary>
    public static List<VariantResultDto> PerVariant(IReadOnlyList<ExperimentVariantDto> variants, IReadOnlyDictionary<string, VariantCounts> counts)
    {
        VariantCounts Of(string name) => counts.GetValueOrDefault(name) ?? new VariantCounts(name, 0, 0, 0, 0, 0, 0, 0);
        var control = variants.Count > 0 ? Of(variants[0].Name) : null;
        return variants.Select((v, i) =>
        {
            var c = Of(v.Name);
            var isControl = i == 0 || control is null;
            return new VariantResultDto(v.Name, v.Share, c.Units, c.Lists, c.Clicks, c.Saves, c.Contacts,
                Rate(ProportionTest.Wilson(c.ListsClicked, c.Lists)), Rate(ProportionTest.Wilson(c.ListsContacted, c.Lists)),
                isControl ? null : ProportionTest.PValue(c.ListsClicked, c.Lists, control!.ListsClicked, control.Lists),
                isControl ? null : ProportionTest.PValue(c.ListsContacted, c.Lists, control!.ListsContacted, control.Lists));
        }).ToList();
    }

    private static RateDto Rate(Proportion p) => new(p.Successes, p.Trials, Math.Round(p.Rate, 5), Math.Round(p.Low, 5), Math.Round(p.High, 5));
}
