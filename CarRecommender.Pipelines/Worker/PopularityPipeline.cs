using CarRecommender.Core.Domain;
using CarRecommender.Core.Events;
using CarRecommender.Core.Recommendation;
using CarRecommender.Core.Recommendation.Ranking;
using Npgsql;
using NpgsqlTypes;

namespace CarRecommender.Pipelines.Worker;

/// <summary>
/// The listings' view / save / contact counters and trending keys (<see cref="Trending"/>), from their own queue. One
/// transaction per batch records the event ids and adds the batch's counts, so a redelivered event is counted once. It
/// writes only the listings' popularity rows (<see cref="ListingPopularity"/>), never the listings: those rows are
/// locked in id order (concurrent batches cannot deadlock), and a row held by someone else delays only these counters,
/// never a user's vectors or recommendation list.
/// </summary>
public sealed class PopularityPipeline(NpgsqlDataSource dataSource) : IPipelineHandler
{
    public const string Name = "popularity";
    public string Pipeline => Name;
    public string Queue => EventTopology.PopularityQueue;
    public bool ChangesUserVectors => false;

    public async Task<IReadOnlyList<EventResult>> ApplyAsync(IReadOnlyList<UserActivityEvent> events, CancellationToken ct)
    {
        var results = new EventResult[events.Count];
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);

        var trendKeys = await LockListingsAsync(conn, tx, events.Select(e => e.ListingId), ct);
        var users = await PipelineSql.ExistingUsersAsync(conn, tx, events.Select(e => e.UserId), lockRows: false, ct);
        var candidates = PipelineSql.Admissible(events, trendKeys.ContainsKey, users.Contains, results);
        var fresh = await PipelineSql.MarkProcessedAsync(conn, tx, Name, candidates.Select(i => events[i].EventId), ct);
        var applied = new List<UserActivityEvent>();
        foreach (var i in candidates)
        {
            var isNew = fresh.Remove(events[i].EventId); // also catches the same event twice in one batch
            results[i] = new EventResult(isNew ? EventOutcome.Applied : EventOutcome.Duplicate);
            if (isNew) applied.Add(events[i]);
        }
        await AddCountsAsync(conn, tx, applied, trendKeys, ct);
        await tx.CommitAsync(ct);
        return results;
    }

    /// <summary>The batch's listings that exist, locked in id order, with their current trending keys.</summary>
    private static async Task<Dictionary<long, double>> LockListingsAsync(NpgsqlConnection conn, NpgsqlTransaction tx, IEnumerable<long> ids,
        CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            "SELECT listing_id, trend_key FROM listing_popularity WHERE listing_id = ANY($1) ORDER BY listing_id FOR NO KEY UPDATE", conn, tx);
        cmd.Parameters.Add(new NpgsqlParameter { Value = ids.Distinct().ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint });
        var result = new Dictionary<long, double>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) result[reader.GetInt64(0)] = reader.GetDouble(1);
        return result;
    }

    /// <summary>Adds the applied events to their listings' counters; the new trending keys come from the locked values.</summary>
    private static async Task AddCountsAsync(NpgsqlConnection conn, NpgsqlTransaction tx, List<UserActivityEvent> applied,
        Dictionary<long, double> current, CancellationToken ct)
    {
        var counts = applied.GroupBy(e => e.ListingId).OrderBy(g => g.Key).Select(g => (
            Id: g.Key,
            Views: g.Count(e => e.Type == InteractionType.View),
            Saves: g.Count(e => e.Type == InteractionType.Save),
            Unsaves: g.Count(e => e.Type == InteractionType.Unsave),
            Contacts: g.Count(e => e.Type == InteractionType.Contact),
            Trend: Trending.KeyOf(g.Select(e => (e.Type, e.OccurredAt))))).Where(c => c.Views + c.Saves + c.Unsaves + c.Contacts > 0 || c.Trend is not null).ToList();
        if (counts.Count == 0) return;
        var ids = counts.Select(c => c.Id).ToArray();
        var trend = counts.Select(c => c.Trend is { } k && current.TryGetValue(c.Id, out var old) ? (old <= Trending.None ? k : Trending.Add(old, k)) : current.GetValueOrDefault(c.Id))
            .ToArray();
        await using var update = new NpgsqlCommand("""
            UPDATE listing_popularity p
            SET view_count = p.view_count + c.views,
                save_count = greatest(0, p.save_count + c.saves - c.unsaves),
                contact_count = p.contact_count + c.contacts,
                trend_key = c.trend
            FROM unnest($1::bigint[], $2::int[], $3::int[], $4::int[], $5::int[], $6::float8[]) AS c(id, views, saves, unsaves, contacts, trend)
            WHERE p.listing_id = c.id
            """, conn, tx);
        update.Parameters.Add(new NpgsqlParameter { Value = ids, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint });
        update.Parameters.Add(new NpgsqlParameter { Value = counts.Select(c => c.Views).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Integer });
        update.Parameters.Add(new NpgsqlParameter { Value = counts.Select(c => c.Saves).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Integer });
        update.Parameters.Add(new NpgsqlParameter { Value = counts.Select(c => c.Unsaves).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Integer });
        update.Parameters.Add(new NpgsqlParameter { Value = counts.Select(c => c.Contacts).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Integer });
        update.Parameters.Add(new NpgsqlParameter { Value = trend, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Double });
        await update.ExecuteNonQueryAsync(ct);
    }
}
