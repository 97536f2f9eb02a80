using CarRecommender.Core.Domain;
using CarRecommender.Core.Events;
using CarRecommender.Core.Learning;
using CarRecommender.Core.Ranking;
using Npgsql;
using NpgsqlTypes;
using Pgvector;

namespace CarRecommender.Pipelines.Worker;

/// <summary>
/// Moves each user's content vector towards (or, for dismiss and unsave, away from) the listings they interact with:
/// the time-decayed, type-weighted mean of <see cref="ContentProfile"/>. One transaction per batch records the event ids
/// and writes the new vectors, so a redelivered event is recognised and changes nothing.
/// </summary>
public sealed class ContentPipeline(NpgsqlDataSource dataSource) : IPipelineHandler
{
    public const string Name = "content";
    public string Pipeline => Name;
    public string Queue => EventTopology.ContentQueue;

    public async Task<IReadOnlyList<EventResult>> ApplyAsync(IReadOnlyList<UserActivityEvent> events, CancellationToken ct)
    {
        var results = new EventResult[events.Count];
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);

        var listings = await PipelineSql.ContentVectorsAsync(conn, tx, events.Select(e => e.ListingId), ct);
        var users = await LoadUsersAsync(conn, tx, events.Select(e => e.UserId), ct);
        var candidates = new List<int>();
        for (var i = 0; i < events.Count; i++)
        {
            var e = events[i];
            if (!listings.ContainsKey(e.ListingId)) results[i] = new EventResult(EventOutcome.Rejected, $"unknown listing {e.ListingId}");
            else if (!users.ContainsKey(e.UserId)) results[i] = new EventResult(EventOutcome.Rejected, $"unknown user {e.UserId}");
            else candidates.Add(i);
        }

        var fresh = await PipelineSql.MarkProcessedAsync(conn, tx, Name, candidates.Select(i => events[i].EventId), ct);
        var changed = new HashSet<long>();
        var applied = new List<UserActivityEvent>();
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
            applied.Add(e);
        }
        await UpdateCountersAsync(conn, tx, applied, ct);

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

    /// <summary>
    /// The listings' view / save / contact counters and trending keys; rows are locked in id order so concurrent batches
    /// cannot deadlock, and the new trending keys are computed here from the locked values (<see cref="Trending"/>).
    /// </summary>
    private static async Task UpdateCountersAsync(NpgsqlConnection conn, NpgsqlTransaction tx, List<UserActivityEvent> applied, CancellationToken ct)
    {
        var counts = applied.GroupBy(e => e.ListingId).OrderBy(g => g.Key).Select(g => (
            Id: g.Key,
            Views: g.Count(e => e.Type == InteractionType.View),
            Saves: g.Count(e => e.Type == InteractionType.Save),
            Unsaves: g.Count(e => e.Type == InteractionType.Unsave),
            Contacts: g.Count(e => e.Type == InteractionType.Contact),
            Trend: Trending.KeyOf(g.Select(e => (e.Type, e.OccurredAt))))).Where(c => c.Views + c.Saves + c.Unsaves + c.Contacts > 0).ToList();
        if (counts.Count == 0) return;
        var ids = counts.Select(c => c.Id).ToArray();
        var current = new Dictionary<long, double>();
        await using (var lockRows = new NpgsqlCommand("SELECT id, trend_key FROM listings WHERE id = ANY($1) ORDER BY id FOR NO KEY UPDATE", conn, tx))
        {
            lockRows.Parameters.Add(new NpgsqlParameter { Value = ids, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint });
            await using var reader = await lockRows.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) current[reader.GetInt64(0)] = reader.GetDouble(1);
        }
        var trend = counts.Select(c => c.Trend is { } k && current.TryGetValue(c.Id, out var old) ? (old <= Trending.None ? k : Trending.Add(old, k)) : current.GetValueOrDefault(c.Id))
            .ToArray();
        await using var update = new NpgsqlCommand("""
            UPDATE listings l
            SET view_count = l.view_count + c.views,
                save_count = greatest(0, l.save_count + c.saves - c.unsaves),
                contact_count = l.contact_count + c.contacts,
                trend_key = c.trend
            FROM unnest($1::bigint[], $2::int[], $3::int[], $4::int[], $5::int[], $6::float8[]) AS c(id, views, saves, unsaves, contacts, trend)
            WHERE l.id = c.id
            """, conn, tx);
        update.Parameters.Add(new NpgsqlParameter { Value = ids, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint });
        update.Parameters.Add(new NpgsqlParameter { Value = counts.Select(c => c.Views).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Integer });
        update.Parameters.Add(new NpgsqlParameter { Value = counts.Select(c => c.Saves).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Integer });
        update.Parameters.Add(new NpgsqlParameter { Value = counts.Select(c => c.Unsaves).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Integer });
        update.Parameters.Add(new NpgsqlParameter { Value = counts.Select(c => c.Contacts).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Integer });
        update.Parameters.Add(new NpgsqlParameter { Value = trend, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Double });
        await update.ExecuteNonQueryAsync(ct);
    }

    /// <summary>The users' running profiles, locked for this transaction (the collaborative pipeline updates other columns).</summary>
    private static async Task<Dictionary<long, ContentProfile>> LoadUsersAsync(NpgsqlConnection conn, NpgsqlTransaction tx, IEnumerable<long> ids,
        CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            "SELECT id, content_sum, content_weight, content_as_of FROM users WHERE id = ANY($1) ORDER BY id FOR UPDATE", conn, tx);
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

/// <summary>SQL both pipelines share.</summary>
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
