using Npgsql;

namespace CarRecommender.Core.Events;

/// <summary>
/// Keeps <c>processed_events</c> (each pipeline's idempotency record) from growing without bound. A row is only needed
/// while its event can still arrive again: RabbitMQ redelivers an unacknowledged message within minutes, the outbox
/// republishes one whose publication it could not confirm within minutes, and a requeued dead letter goes only to the
/// pipeline that failed it (which has no row for it). Past the horizon (<c>Pipelines:ProcessedEventsRetentionDays</c>,
/// 7 by default) rows are deleted in small chunks, so the pipelines' inserts never wait behind one large delete.
/// </summary>
public static class ProcessedEventLog
{
    public static readonly TimeSpan DefaultRetention = TimeSpan.FromDays(7);
    private const int Chunk = 10_000;

    /// <summary>Deletes rows processed before <paramref name="olderThan"/>; returns how many.</summary>
    public static async Task<long> PruneAsync(NpgsqlDataSource dataSource, DateTimeOffset olderThan, CancellationToken ct)
    {
        long total = 0;
        while (true)
        {
            await using var cmd = dataSource.CreateCommand("""
                DELETE FROM processed_events WHERE ctid = ANY (ARRAY(
                    SELECT ctid FROM processed_events WHERE processed_at < $1 LIMIT $2))
                """);
            cmd.Parameters.AddWithValue(olderThan);
            cmd.Parameters.AddWithValue(Chunk);
            var deleted = await cmd.ExecuteNonQueryAsync(ct);
            total += deleted;
            if (deleted < Chunk) break;
        }
        // start records of redelivered events left by a crash between settling an event and forgetting its record
        await using (var attempts = dataSource.CreateCommand("DELETE FROM delivery_attempts WHERE last_attempt_at < $1"))
        {
            attempts.Parameters.AddWithValue(olderThan);
            await attempts.ExecuteNonQueryAsync(ct);
        }
        return total;
    }
}
