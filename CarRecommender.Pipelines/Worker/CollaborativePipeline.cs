using CarRecommender.Core.Events;
using CarRecommender.Core.Learning;
using Npgsql;

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
        // a retrain's switch waits for this batch, and this batch for the switch (FactorStore.SwitchLockKey)
        await using (var lockCmd = new NpgsqlCommand($"SELECT pg_advisory_xact_lock_shared({FactorStore.SwitchLockKey})", conn, tx))
            await lockCmd.ExecuteNonQueryAsync(ct);

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

        if (foldIn.Count > 0 && await FactorStore.CurrentModelAsync(conn, tx, ct) is { } model)
            await FactorStore.FoldInUsersAsync(conn, tx, model, foldIn, ct);
        await tx.CommitAsync(ct);
        return results;
    }
}
