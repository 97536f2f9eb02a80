using Npgsql;
using NpgsqlTypes;
using Pgvector;

namespace CarRecommender.Core.Learning;

/// <summary>The model the fold-in works against: its hyper-parameters, the item factors' Gram matrix and its item count.</summary>
public sealed record CurrentModel(long Id, AlsOptions Options, float[] ItemGram, double MeanUserPairs, int Items);

/// <summary>A user's aggregated history over items that have factors.</summary>
public sealed record UserHistory(List<float[]> Items, List<float> Strengths);

/// <summary>
/// The stored collaborative model as the fold-in reads it, and the fold-in itself over the database: the collaborative
/// pipeline folds users with new events into the serving model, and a retrain folds the users whose events came after
/// its snapshot into the new one, with this same code, so both give a user the vector a fresh fold-in of their whole
/// history gives.
/// </summary>
public static class FactorStore
{
    /// <summary>The serving model's item factors.</summary>
    public const string ServingTable = "listing_factors";

    /// <summary>
    /// Serializes the fold-ins with a retrain's switch: each collaborative batch holds it shared for its transaction, the
    /// switch exclusively, so no fold-in against the old model commits after the switch re-folded its user.
    /// </summary>
    public const long SwitchLockKey = 0x_A15_5117C4;

    public static async Task<CurrentModel?> CurrentModelAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            """
            SELECT id, iterations, regularization, alpha, item_gram, confidence, regularization_exponent, mean_user_pairs, items
            FROM model_versions ORDER BY id DESC LIMIT 1
            """, conn, tx);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        var gram = reader.GetFieldValue<float[]>(4);
        // the stored factors (and so the Gram) are zero-padded to the column's width whatever the trained rank
        var options = new AlsOptions(Factors: (int)Math.Round(Math.Sqrt(gram.Length)), Iterations: reader.GetInt32(1), Regularization: reader.GetDouble(2),
            Alpha: reader.GetDouble(3), Confidence: Enum.Parse<ConfidenceScale>(reader.GetString(5)), RegularizationExponent: reader.GetDouble(6));
        return new CurrentModel(reader.GetInt64(0), options, gram, reader.GetDouble(7), reader.GetInt32(8));
    }

    /// <summary>Each user's positive strengths per listing (the training rule), for listings with factors in <paramref name="table"/>.</summary>
    public static async Task<Dictionary<long, UserHistory>> HistoriesWithFactorsAsync(NpgsqlConnection conn, NpgsqlTransaction? tx,
        IEnumerable<long> userIds, CancellationToken ct, string table = ServingTable)
    {
        await using var cmd = new NpgsqlCommand($"""
            SELECT s.user_id, s.strength, f.factors
            FROM (SELECT user_id, listing_id, {ImplicitFeedback.SqlStrength} AS strength
                  FROM interactions WHERE user_id = ANY($1) GROUP BY user_id, listing_id) s
            JOIN {table} f ON f.listing_id = s.listing_id
            WHERE s.strength > 0
            ORDER BY s.user_id, s.listing_id
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

    /// <summary>A user's factors folded into <paramref name="model"/>, or null when no listing of their history has factors.</summary>
    public static float[]? FoldIn(CurrentModel model, UserHistory? history) =>
        history is not { Items.Count: > 0 } h ? null
            : ImplicitAls.FoldIn(Enumerable.Range(0, h.Items.Count).ToArray(), h.Strengths.ToArray(), h.Items.SelectMany(v => v).ToArray(),
                model.ItemGram, model.Options, model.MeanUserPairs, modelItems: h.Items.Count);

    /// <summary>
    /// Folds <paramref name="userIds"/> into <paramref name="model"/> (item factors from <paramref name="table"/>) and
    /// writes their latent vectors (null without a usable history) with a new vector version.
    /// </summary>
    public static async Task FoldInUsersAsync(NpgsqlConnection conn, NpgsqlTransaction tx, CurrentModel model, IReadOnlyCollection<long> userIds,
        CancellationToken ct, string table = ServingTable)
    {
        if (userIds.Count == 0) return;
        var histories = await HistoriesWithFactorsAsync(conn, tx, userIds, ct, table);
        await using var batch = new NpgsqlBatch(conn, tx);
        // in id order, like every writer of several user rows (the pipelines lock theirs in id order): no deadlock
        foreach (var userId in userIds.Order())
        {
            var cmd = new NpgsqlBatchCommand($"UPDATE users SET latent_vector = $1, vectors_updated_at = {Data.VectorClock.Next} WHERE id = $2");
            if (FoldIn(model, histories.GetValueOrDefault(userId)) is { } factors) cmd.Parameters.AddWithValue(new Vector(factors));
            else cmd.Parameters.Add(new NpgsqlParameter { Value = DBNull.Value, DataTypeName = "vector" });
            cmd.Parameters.AddWithValue(userId);
            batch.BatchCommands.Add(cmd);
        }
        await batch.ExecuteNonQueryAsync(ct);
    }
}
