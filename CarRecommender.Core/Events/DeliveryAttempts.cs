using Npgsql;

namespace CarRecommender.Core.Events;

/// <summary>
/// Tells a poison message from a healthy one that was only in flight when the worker stopped. RabbitMQ's delivery count
/// cannot: every message the worker held when it stopped (its whole prefetch) counts a delivery, whether or not the
/// worker ever began on it, and on RabbitMQ before 4.3 so does each message returned at a graceful shutdown. So the
/// worker applies a redelivered event alone, and records here, committed before it begins, that it began; the record
/// goes when the event is settled, and is taken back when a shutdown interrupts the work. A record that reaches
/// <see cref="MaxUnsettled"/> therefore counts starts that ended with the worker gone: that event is what stops it, and
/// it is dead-lettered with that reason, while every other redelivered event is applied.
/// </summary>
public static class DeliveryAttempts
{
    /// <summary>Starts on one event, alone, that ended with the worker gone, before the event is dead-lettered.</summary>
    public const int MaxUnsettled = 3;

    /// <summary>Records that <paramref name="pipeline"/> begins on <paramref name="eventId"/>; returns the starts before this one that never settled.</summary>
    public static async Task<int> BeginAsync(NpgsqlDataSource dataSource, string pipeline, Guid eventId, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand("""
            INSERT INTO delivery_attempts (pipeline, event_id, attempts, last_attempt_at) VALUES ($1, $2, 1, now())
            ON CONFLICT (pipeline, event_id) DO UPDATE SET attempts = delivery_attempts.attempts + 1, last_attempt_at = now()
            RETURNING attempts
            """);
        cmd.Parameters.AddWithValue(pipeline);
        cmd.Parameters.AddWithValue(eventId);
        return (int)(await cmd.ExecuteScalarAsync(ct))! - 1;
    }

    /// <summary>The event is settled (applied, a duplicate or dead-lettered): its record goes.</summary>
    public static async Task SettledAsync(NpgsqlDataSource dataSource, string pipeline, Guid eventId, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand("DELETE FROM delivery_attempts WHERE pipeline = $1 AND event_id = $2");
        cmd.Parameters.AddWithValue(pipeline);
        cmd.Parameters.AddWithValue(eventId);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>A shutdown interrupted the start: it does not count against the event.</summary>
    public static async Task InterruptedAsync(NpgsqlDataSource dataSource, string pipeline, Guid eventId, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand("""
            WITH gone AS (DELETE FROM delivery_attempts WHERE pipeline = $1 AND event_id = $2 AND attempts <= 1)
            UPDATE delivery_attempts SET attempts = attempts - 1 WHERE pipeline = $1 AND event_id = $2 AND attempts > 1
            """);
        cmd.Parameters.AddWithValue(pipeline);
        cmd.Parameters.AddWithValue(eventId);
        await cmd.ExecuteNonQueryAsync(ct);
    }
}
