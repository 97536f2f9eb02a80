using CarRecommender.Core.Learning;
using Npgsql;
using NpgsqlTypes;
using Pgvector;

namespace CarRecommender.Pipelines.Collaborative;

/// <summary>The model the fold-in works against: its hyper-parameters and the item factors' Gram matrix.</summary>
public sealed record CurrentModel(long Id, AlsOptions Options, float[] ItemGram, double MeanUserPairs);

/// <summary>A user's aggregated history over items that have factors.</summary>
public sealed record UserHistory(List<float[]> Items, List<float> Strengths);

public static class AlsStore
{
    public static async Task<CurrentModel?> CurrentModelAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            """
            SELECT id, iterations, regularization, alpha, item_gram, confidence, regularization_exponent, mean_user_pairs
            FROM model_versions ORDER BY id DESC LIMIT 1
            """, conn, tx);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        var gram = reader.GetFieldValue<float[]>(4);
        // the stored factors (and so the Gram) are zero-padded to the column's width whatever the trained rank
        var options = new AlsOptions(Factors: (int)Math.Round(Math.Sqrt(gram.Length)), Iterations: reader.GetInt32(1), Regularization: reader.GetDouble(2),
            Alpha: reader.GetDouble(3), Confidence: Enum.Parse<ConfidenceScale>(reader.GetString(5)), RegularizationExponent: reader.GetDouble(6));
        return new CurrentModel(reader.GetInt64(0), options, gram, reader.GetDouble(7));
    }

    /// <summary>Each user's positive strengths per listing (the training rule), for listings that have factors.</summary>
    public static async Task<Dictionary<long, UserHistory>> HistoriesWithFactorsAsync(NpgsqlConnection conn, NpgsqlTransaction? tx,
        IEnumerable<long> userIds, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand($"""
            SELECT s.user_id, s.strength, l.latent_vector
            FROM (SELECT user_id, listing_id, {ImplicitFeedback.SqlStrength} AS strength
                  FROM interactions WHERE user_id = ANY($1) GROUP BY user_id, listing_id) s
            JOIN listings l ON l.id = s.listing_id AND l.latent_vector IS NOT NULL
            WHERE s.strength > 0
            """, conn, tx);
        cmd.Parameters.Add(new NpgsqlParameter { Value = userIds.Distinct().ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint });
        var result = new Dictionary<long, UserHistory>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var userId = reader.GetInt64(0);
            if (!result.TryGetValue(userId, out var h)) result[userId] = h = new UserHistory([], []);
            h.Strengths.Add((float)reader.GetDouble(1));
            h.Items.Add(reader.GetFieldValue<Vector>(2).ToArray());
        }
        return result;
    }
}
