using CarRecommender.Core.Events;
using CarRecommender.Core.Learning;
using CarRecommender.Pipelines.Collaborative;
using Npgsql;
using NpgsqlTypes;
using Pgvector;

namespace CarRecommender.Pipelines.Worker;

/// <summary>
/// Between ALS retrains, folds each user with new events into the current item factors: the exact least-squares user
/// factor for their whole (aggregated) history, as a training sweep would compute it. Until a model exists the events
/// are only recorded; the first <c>train</c> learns from the whole log anyway.
/// </summary>
public sealed class CollaborativePipeline(NpgsqlDataSource dataSource) : IPipelineHandler
{
    public const string Name = "collaborative";
    public string Pipeline => Name;
    public string Queue => EventTopology.CollaborativeQueue;
    public bool ChangesUserVectors => true;

    public async Task<IReadOnlyList<EventResult>> ApplyAsync(IReadOnlyList<UserActivityEvent> events, CancellationToken ct)
    {
        var results = new EventResult[events.Count];
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);

        var listings = await PipelineSql.ContentVectorsAsync(conn, tx, events.Select(e => e.ListingId), ct);
        var users = await PipelineSql.ExistingUsersAsync(conn, tx, events.Select(e => e.UserId), lockRows: true, ct);
        var candidates = PipelineSql.Admissible(events, listings.ContainsKey, users.Contains, results);
        var fresh = await PipelineSql.MarkProcessedAsync(conn, tx, Name, candidates.Select(i => events[i].EventId), ct);
        var foldIn = new HashSet<long>();
        foreach (var i in candidates)
        {
            var applied = fresh.Remove(events[i].EventId);
            results[i] = new EventResult(applied ? EventOutcome.Applied : EventOutcome.Duplicate);
            if (applied) foldIn.Add(events[i].UserId);
        }

        var model = await AlsStore.CurrentModelAsync(conn, tx, ct);
        if (model is not null && foldIn.Count > 0)
        {
            var histories = await AlsStore.HistoriesWithFactorsAsync(conn, tx, foldIn, ct);
            await using var batch = new NpgsqlBatch(conn, tx);
            foreach (var userId in foldIn)
            {
                var cmd = new NpgsqlBatchCommand($"UPDATE users SET latent_vector = $1, vectors_updated_at = {CarRecommender.Core.Data.VectorClock.Next} WHERE id = $2");
                if (histories.TryGetValue(userId, out var h) && h.Items.Count > 0)
                {
                    var options = model.Options;
                    var factors = ImplicitAls.FoldIn(Enumerable.Range(0, h.Items.Count).ToArray(), h.Strengths.ToArray(),
                        h.Items.SelectMany(v => v).ToArray(), model.ItemGram, options, model.MeanUserPairs);
                    cmd.Parameters.AddWithValue(new Vector(factors));
                }
                else
                {
                    cmd.Parameters.Add(new NpgsqlParameter { Value = DBNull.Value, DataTypeName = "vector" });
                }
                cmd.Parameters.AddWithValue(userId);
                batch.BatchCommands.Add(cmd);
            }
            await batch.ExecuteNonQueryAsync(ct);
        }
        await tx.CommitAsync(ct);
        return results;
    }
}
