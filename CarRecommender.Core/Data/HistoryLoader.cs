using CarRecommender.Core.Domain;
using CarRecommender.Core.Learning;
using CarRecommender.Core.Recommendation;
using CarRecommender.Core.Recommendation.Ranking;
using Npgsql;
using NpgsqlTypes;
using Pgvector;

namespace CarRecommender.Core.Data;

/// <summary>
/// Bulk-loads a past interaction log (generated shoppers' history) and derives at once what the pipelines would have
/// derived event by event: each user's content profile and interaction count, each listing's counters and trending key.
/// The events bypass the outbox on purpose: they are history, not news. Runs on the caller's connection and transaction,
/// so a seed is loaded whole or not at all. Latent vectors come from the first ALS run (the worker trains at start-up
/// when the log is newer than the model).
/// </summary>
public static class HistoryLoader
{
    private const int ProgressEvery = 10_000;

    public static async Task<long> LoadAsync(NpgsqlConnection conn, IEnumerable<Interaction> events, IProgress<LoadProgress>? progress, CancellationToken ct)
    {
        var perUser = new Dictionary<long, List<Interaction>>();
        long n = 0;
        await using (var writer = await conn.BeginBulkCopyAsync(
            "COPY interactions (event_id, user_id, listing_id, type, occurred_at, recorded_at) FROM STDIN (FORMAT BINARY)", ct))
        {
            foreach (var e in events)
            {
                await writer.StartRowAsync(ct);
                await writer.WriteAsync(e.EventId, NpgsqlDbType.Uuid, ct);
                await writer.WriteAsync(e.UserId, NpgsqlDbType.Bigint, ct);
                await writer.WriteAsync(e.ListingId, NpgsqlDbType.Bigint, ct);
                await writer.WriteAsync(e.Type.ToString(), NpgsqlDbType.Varchar, ct);
                await writer.WriteAsync(e.OccurredAt, NpgsqlDbType.TimestampTz, ct);
                await writer.WriteAsync(e.RecordedAt, NpgsqlDbType.TimestampTz, ct);
                if (!perUser.TryGetValue(e.UserId, out var list)) perUser[e.UserId] = list = [];
                list.Add(e);
                if (++n % ProgressEvery == 0) progress?.Report(new LoadProgress("loading history", n, n));
            }
            await writer.CompleteAsync(ct);
        }
        progress?.Report(new LoadProgress("deriving profiles", 0, perUser.Count));

        var vectors = await ContentVectorsAsync(conn, perUser.Values.SelectMany(l => l).Select(e => e.ListingId).Distinct().ToArray(), ct);
        await WriteUsersAsync(conn, perUser, vectors, ct);
        await WriteListingsAsync(conn, perUser.Values.SelectMany(l => l), ct);
        progress?.Report(new LoadProgress("deriving profiles", perUser.Count, perUser.Count));
        return n;
    }

    private static async Task<Dictionary<long, float[]>> ContentVectorsAsync(NpgsqlConnection conn, long[] ids, CancellationToken ct)
    {
        var result = new Dictionary<long, float[]>(ids.Length);
        await using var cmd = new NpgsqlCommand("SELECT id, content_vector FROM listings WHERE id = ANY($1) AND content_vector IS NOT NULL", conn);
        cmd.Parameters.Add(new NpgsqlParameter { Value = ids, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) result[reader.GetInt64(0)] = reader.GetFieldValue<Vector>(1).ToArray();
        return result;
    }

    private static async Task WriteUsersAsync(NpgsqlConnection conn, Dictionary<long, List<Interaction>> perUser, Dictionary<long, float[]> vectors,
        CancellationToken ct)
    {
        await Exec(conn, $"""
            CREATE TEMP TABLE seed_profiles (id bigint, content_sum vector({VectorSizes.Content}), content_weight float8,
                content_as_of timestamptz, content_vector vector({VectorSizes.Content}), interaction_count int) ON COMMIT DROP
            """, ct);
        await using (var writer = await conn.BeginBulkCopyAsync(
            "COPY seed_profiles (id, content_sum, content_weight, content_as_of, content_vector, interaction_count) FROM STDIN (FORMAT BINARY)", ct))
        {
            foreach (var (userId, events) in perUser)
            {
                var profile = ContentProfile.Empty(VectorSizes.Content, DateTimeOffset.MinValue);
                foreach (var e in events.OrderBy(e => e.OccurredAt))
                    if (vectors.TryGetValue(e.ListingId, out var v)) profile = profile.Apply(v, e.Type, e.OccurredAt);
                await writer.StartRowAsync(ct);
                await writer.WriteAsync(userId, NpgsqlDbType.Bigint, ct);
                await writer.WriteAsync(new Vector(profile.Sum), "vector", ct);
                await writer.WriteAsync(profile.Weight, NpgsqlDbType.Double, ct);
                await writer.WriteAsync(profile.AsOf, NpgsqlDbType.TimestampTz, ct);
                if (profile.Vector() is { } vector) await writer.WriteAsync(new Vector(vector), "vector", ct);
                else await writer.WriteNullAsync(ct);
                await writer.WriteAsync(events.Count, NpgsqlDbType.Integer, ct);
            }
            await writer.CompleteAsync(ct);
        }
        await Exec(conn, """
            UPDATE users u SET content_sum = s.content_sum, content_weight = s.content_weight, content_as_of = s.content_as_of,
                content_vector = s.content_vector, interaction_count = u.interaction_count + s.interaction_count, vectors_updated_at = now()
            FROM seed_profiles s WHERE u.id = s.id
            """, ct);
    }

    private static async Task WriteListingsAsync(NpgsqlConnection conn, IEnumerable<Interaction> events, CancellationToken ct)
    {
        await Exec(conn, "CREATE TEMP TABLE seed_counters (id bigint, views int, saves int, contacts int, trend_key float8) ON COMMIT DROP", ct);
        await using (var writer = await conn.BeginBulkCopyAsync("COPY seed_counters (id, views, saves, contacts, trend_key) FROM STDIN (FORMAT BINARY)", ct))
        {
            foreach (var g in events.GroupBy(e => e.ListingId))
            {
                await writer.StartRowAsync(ct);
                await writer.WriteAsync(g.Key, NpgsqlDbType.Bigint, ct);
                await writer.WriteAsync(g.Count(e => e.Type == InteractionType.View), NpgsqlDbType.Integer, ct);
                await writer.WriteAsync(Math.Max(0, g.Count(e => e.Type == InteractionType.Save) - g.Count(e => e.Type == InteractionType.Unsave)), NpgsqlDbType.Integer, ct);
                await writer.WriteAsync(g.Count(e => e.Type == InteractionType.Contact), NpgsqlDbType.Integer, ct);
                await writer.WriteAsync(Trending.KeyOf(g.Select(e => (e.Type, e.OccurredAt))) ?? Trending.None, NpgsqlDbType.Double, ct);
            }
            await writer.CompleteAsync(ct);
        }
        await Exec(conn, """
            UPDATE listing_popularity p SET view_count = p.view_count + s.views, save_count = p.save_count + s.saves,
                contact_count = p.contact_count + s.contacts, trend_key = greatest(p.trend_key, s.trend_key)
            FROM seed_counters s WHERE p.listing_id = s.id
            """, ct);
    }

    private static async Task Exec(NpgsqlConnection conn, string sql, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, conn) { CommandTimeout = 0 };
        await cmd.ExecuteNonQueryAsync(ct);
    }
}
