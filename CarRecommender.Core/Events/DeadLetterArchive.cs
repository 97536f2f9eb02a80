using Npgsql;
using NpgsqlTypes;

namespace CarRecommender.Core.Events;

/// <summary>A dead-lettered message as the archive keeps it (see <see cref="Domain.DeadLetterRecord"/>).</summary>
public sealed record DeadLetterEntry(string Pipeline, string MessageKey, string? MessageId, string Reason, string? SourceQueue, int Requeued,
    string? ContentType, string? Type, string Headers, byte[] Body);

/// <summary>An archived dead letter with its row id and times.</summary>
public sealed record ArchivedDeadLetter(long Id, DeadLetterEntry Entry, int Occurrences, DateTimeOffset FirstDeadLetteredAt, DateTimeOffset LastDeadLetteredAt);

/// <summary>
/// The dead letters' archive (table <c>dead_letters</c>). The worker moves each message from its pipeline's dead-letter
/// queue into it, acknowledging the message only after the row is committed; operators then browse rows, which costs the
/// broker nothing (a queue can only be browsed by taking its messages and giving them back, and RabbitMQ 4 counts each
/// such look as a delivery), and requeue or discard one message without cycling the others.
/// </summary>
public static class DeadLetterArchive
{
    /// <summary>Archives entries in one statement; one already archived (same pipeline and key) is updated and counted again.</summary>
    public static async Task ArchiveAsync(NpgsqlDataSource dataSource, IReadOnlyList<DeadLetterEntry> entries, CancellationToken ct)
    {
        if (entries.Count == 0) return;
        // one row per key in a statement (ON CONFLICT cannot touch a row twice): the newest delivery of a key wins
        var distinct = entries.GroupBy(e => (e.Pipeline, e.MessageKey)).Select(g => g.Last()).ToList();
        await using var cmd = dataSource.CreateCommand("""
            INSERT INTO dead_letters (pipeline, message_key, message_id, reason, source_queue, requeued, occurrences, content_type, type, headers, body,
                                      first_dead_lettered_at, last_dead_lettered_at)
            SELECT p, k, m, r, s, q, 1, c, t, h::jsonb, b, now(), now()
            FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::text[], $8::text[], $9::text[], $10::bytea[])
                 AS x(p, k, m, r, s, q, c, t, h, b)
            ON CONFLICT (pipeline, message_key) DO UPDATE SET
                reason = excluded.reason, source_queue = excluded.source_queue, requeued = excluded.requeued,
                occurrences = dead_letters.occurrences + 1, headers = excluded.headers, body = excluded.body,
                last_dead_lettered_at = excluded.last_dead_lettered_at
            """);
        cmd.Parameters.Add(Text(distinct.Select(e => e.Pipeline)));
        cmd.Parameters.Add(Text(distinct.Select(e => e.MessageKey)));
        cmd.Parameters.Add(Text(distinct.Select(e => e.MessageId)));
        cmd.Parameters.Add(Text(distinct.Select(e => e.Reason)));
        cmd.Parameters.Add(Text(distinct.Select(e => e.SourceQueue)));
        cmd.Parameters.Add(new NpgsqlParameter { Value = distinct.Select(e => e.Requeued).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Integer });
        cmd.Parameters.Add(Text(distinct.Select(e => e.ContentType)));
        cmd.Parameters.Add(Text(distinct.Select(e => e.Type)));
        cmd.Parameters.Add(Text(distinct.Select(e => e.Headers)));
        cmd.Parameters.Add(new NpgsqlParameter { Value = distinct.Select(e => e.Body).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bytea });
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>How many dead letters each pipeline has archived.</summary>
    public static async Task<Dictionary<string, long>> CountsAsync(NpgsqlDataSource dataSource, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand("SELECT pipeline, count(*) FROM dead_letters GROUP BY pipeline");
        var counts = new Dictionary<string, long>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) counts[reader.GetString(0)] = reader.GetInt64(1);
        return counts;
    }

    /// <summary>A pipeline's newest dead letters (or the ones with one message id), newest first; nothing is changed.</summary>
    public static async Task<List<ArchivedDeadLetter>> NewestAsync(NpgsqlDataSource dataSource, string pipeline, string? messageId, int limit, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        return await ReadAsync(conn, null, pipeline, messageId, limit, forUpdate: false, ct);
    }

    /// <summary>
    /// Takes up to <paramref name="limit"/> of a pipeline's dead letters (oldest first, or those with one message id),
    /// hands them to <paramref name="each"/> (which requeues them, or does nothing to discard them) and deletes them, in
    /// one transaction: a failing <paramref name="each"/> leaves every row in place. Rows another call is moving are skipped.
    /// </summary>
    public static async Task<int> TakeAsync(NpgsqlDataSource dataSource, string pipeline, string? messageId, int limit,
        Func<ArchivedDeadLetter, Task> each, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var rows = await ReadAsync(conn, tx, pipeline, messageId, limit, forUpdate: true, ct);
        foreach (var row in rows) await each(row);
        await using (var delete = new NpgsqlCommand("DELETE FROM dead_letters WHERE id = ANY($1)", conn, tx))
        {
            delete.Parameters.AddWithValue(rows.Select(r => r.Id).ToArray());
            await delete.ExecuteNonQueryAsync(ct);
        }
        await tx.CommitAsync(ct);
        return rows.Count;
    }

    private static async Task<List<ArchivedDeadLetter>> ReadAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, string pipeline, string? messageId, int limit,
        bool forUpdate, CancellationToken ct)
    {
        var order = forUpdate ? "id" : "last_dead_lettered_at DESC, id DESC";
        await using var cmd = new NpgsqlCommand($"""
            SELECT id, pipeline, message_key, message_id, reason, source_queue, requeued, content_type, type, headers::text, body,
                   occurrences, first_dead_lettered_at, last_dead_lettered_at
            FROM dead_letters WHERE pipeline = $1 AND ($2::text IS NULL OR message_id = $2)
            ORDER BY {order} LIMIT $3 {(forUpdate ? "FOR UPDATE SKIP LOCKED" : "")}
            """, conn, tx);
        cmd.Parameters.AddWithValue(pipeline);
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)messageId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.AddWithValue(limit);
        var rows = new List<ArchivedDeadLetter>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            string? Text(int i) => reader.IsDBNull(i) ? null : reader.GetString(i);
            var entry = new DeadLetterEntry(reader.GetString(1), reader.GetString(2), Text(3), reader.GetString(4), Text(5), reader.GetInt32(6),
                Text(7), Text(8), reader.GetString(9), (byte[])reader[10]);
            rows.Add(new ArchivedDeadLetter(reader.GetInt64(0), entry, reader.GetInt32(11), reader.GetFieldValue<DateTimeOffset>(12),
                reader.GetFieldValue<DateTimeOffset>(13)));
        }
        return rows;
    }

    private static NpgsqlParameter Text(IEnumerable<string?> values) =>
        new() { Value = values.Select(v => v?.Replace("\0", "", StringComparison.Ordinal)).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text };
}
