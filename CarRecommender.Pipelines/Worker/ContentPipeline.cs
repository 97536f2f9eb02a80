using CarRecommender.Core.Domain;
using CarRecommender.Core.Events;
using CarRecommender.Core.Learning;
using CarRecommender.Core.Recommendation;
using CarRecommender.Core.Recommendation.Ranking;
using Npgsql;
using NpgsqlTypes;
using Pgvector;

namespace CarRecommender.Pipelines.Worker;

/// <summary>
/// Moves each user's content vector towards (or, for dismiss and unsave, away from) the listings they interact with:
/// the time-decayed, type-weighted mean of <see cref="ContentProfile"/>. One transaction per batch records the event ids
/// and writes the new vectors, so a redelivered event is recognised and changes nothing. It locks only the batch's users:
/// the listings' counters are the <see cref="PopularityPipeline"/>'s, so a listing row held by someone else (an ALS
/// retrain writing factors, another batch on a popular listing) never holds up a user's new taste and list.
/// </summary>
public sealed class ContentPipeline(NpgsqlDataSource dataSource) : IPipelineHandler
{
    public const string Name = "content";
    public string Pipeline => Name;
    public string Queue => EventTopology.ContentQueue;
    public bool ChangesUserVectors => true;

    public async Task<IReadOnlyList<EventResult>> ApplyAsync(IReadOnlyList<UserActivityEvent> events, CancellationToken ct)
    {
        var results = new EventResult[events.Count];
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);

        var listings = await PipelineSql.ContentVectorsAsync(conn, tx, events.Select(e => e.ListingId), ct);
        var users = await LoadUsersAsync(conn, tx, events.Select(e => e.UserId), ct);
        var candidates = PipelineSql.Admissible(events, listings.ContainsKey, users.ContainsKey, results);

        var fresh = await PipelineSql.MarkProcessedAsync(conn, tx, Name, candidates.Select(i => events[i].EventId), ct);
        var changed = new HashSet<long>();
        // oldest first, so each profile decays forward in time
        foreach (var i in candidates.OrderBy(i => events[i].OccurredAt))
        {
            var e = events[i];
            if (!fresh.Remove(e.EventId)) // also catches the same event twice in one batch
            {
                results[i] = new EventResult(EventOutcome.Duplicate);
                continue;
            }
            var vector = listings[e.ListingId];
            if (vector is not null)
            {
                users[e.UserId] = users[e.UserId].Apply(vector, e.Type, e.OccurredAt);
                changed.Add(e.UserId);
            }
            results[i] = new EventResult(EventOutcome.Applied);
        }

        if (changed.Count > 0)
        {
            await using var batch = new NpgsqlBatch(conn, tx);
            foreach (var id in changed)
            {
                var p = users[id];
                var cmd = new NpgsqlBatchCommand(
                    $"UPDATE users SET content_sum = $1, content_weight = $2, content_as_of = $3, content_vector = $4, vectors_updated_at = {CarRecommender.Core.Data.VectorClock.Next} WHERE id = $5");
                cmd.Parameters.AddWithValue(new Vector(p.Sum));
                cmd.Parameters.AddWithValue(p.Weight);
                cmd.Parameters.AddWithValue(p.AsOf);
                cmd.Parameters.Add(new NpgsqlParameter { Value = p.Vector() is { } v ? new Vector(v) : DBNull.Value, DataTypeName = "vector" });
                cmd.Parameters.AddWithValue(id);
                batch.BatchCommands.Add(cmd);
            }
            await batch.ExecuteNonQueryAsync(ct);
        }
        await tx.CommitAsync(ct);
        return results;
    }

    /// <summary>The users' running profiles, locked for this transaction (the collaborative pipeline updates other columns).</summary>
    private static async Task<Dictionary<long, ContentProfile>> LoadUsersAsync(NpgsqlConnection conn, NpgsqlTransaction tx, IEnumerable<long> ids,
        CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            "SELECT id, content_sum, content_weight, content_as_of FROM users WHERE id = ANY($1) ORDER BY id FOR NO KEY UPDATE", conn, tx);
        cmd.Parameters.Add(new NpgsqlParameter { Value = ids.Distinct().ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint });
        var result = new Dictionary<long, ContentProfile>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var asOf = reader.IsDBNull(3) ? DateTimeOffset.MinValue : reader.GetFieldValue<DateTimeOffset>(3);
            result[reader.GetInt64(0)] = reader.IsDBNull(1)
                ? ContentProfile.Empty(VectorSizes.Content, asOf)
                : new ContentProfile(reader.GetFieldValue<Vector>(1).ToArray(), reader.GetDouble(2), asOf);
        }
        return result;
    }
}

/// <summary>SQL the pipelines share.</summary>
public static class PipelineSql
{
    /// <summary>Content vectors of the listings that exist (null for a listing without one).</summary>
    public static async Task<Dictionary<long, float[]?>> ContentVectorsAsync(NpgsqlConnection conn, NpgsqlTransaction tx, IEnumerable<long> ids,
        CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT id, content_vector FROM listings WHERE id = ANY($1)", conn, tx);
        cmd.Parameters.Add(new NpgsqlParameter { Value = ids.Distinct().ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint });
        var result = new Dictionary<long, float[]?>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            result[reader.GetInt64(0)] = reader.IsDBNull(1) ? null : reader.GetFieldValue<Vector>(1).ToArray();
        return result;
    }

    /// <summary>
    /// The users among <paramref name="ids"/> that exist; <paramref name="lockRows"/> locks them (in id order) for the
    /// transaction. Every writer of several user rows locks them in id order (no two can deadlock), and with NO KEY UPDATE,
    /// so the key-share checks of the API's event inserts (their foreign key to users) never wait for a pipeline batch.
    /// </summary>
    public static async Task<HashSet<long>> ExistingUsersAsync(NpgsqlConnection conn, NpgsqlTransaction tx, IEnumerable<long> ids, bool lockRows,
        CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand($"SELECT id FROM users WHERE id = ANY($1){(lockRows ? " ORDER BY id FOR NO KEY UPDATE" : "")}", conn, tx);
        cmd.Parameters.Add(new NpgsqlParameter { Value = ids.Distinct().ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint });
        var result = new HashSet<long>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) result.Add(reader.GetInt64(0));
        return result;
    }

    /// <summary>
    /// The indexes of the events whose listing and user exist; the others get a Rejected result naming what is unknown
    /// (they are dead-lettered).
    /// </summary>
    public static List<int> Admissible(IReadOnlyList<UserActivityEvent> events, Func<long, bool> listingExists, Func<long, bool> userExists,
        EventResult[] results)
    {
        var admissible = new List<int>(events.Count);
        for (var i = 0; i < events.Count; i++)
        {
            var e = events[i];
            if (!listingExists(e.ListingId)) results[i] = new EventResult(EventOutcome.Rejected, $"unknown listing {e.ListingId}");
            else if (!userExists(e.UserId)) results[i] = new EventResult(EventOutcome.Rejected, $"unknown user {e.UserId}");
            else admissible.Add(i);
        }
        return admissible;
    }

    /// <summary>Records event ids as processed by a pipeline; returns those not seen before.</summary>
    public static async Task<HashSet<Guid>> MarkProcessedAsync(NpgsqlConnection conn, NpgsqlTransaction tx, string pipeline, IEnumerable<Guid> eventIds,
        CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            INSERT INTO processed_events (pipeline, event_id, processed_at)
            SELECT $1, id, now() FROM unnest($2::uuid[]) AS t(id)
            ON CONFLICT DO NOTHING
            RETURNING event_id
            """, conn, tx);
        cmd.Parameters.AddWithValue(pipeline);
        cmd.Parameters.Add(new NpgsqlParameter { Value = eventIds.Distinct().ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid });
        var fresh = new HashSet<Guid>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) fresh.Add(reader.GetGuid(0));
        return fresh;
    }
}
