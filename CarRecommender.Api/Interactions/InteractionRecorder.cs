using System.Diagnostics;
using CarRecommender.Api.Outbox;
using CarRecommender.Core.Domain;
using CarRecommender.Core.Events;
using CarRecommender.Telemetry;
using Npgsql;
using NpgsqlTypes;

namespace CarRecommender.Api.Interactions;

/// <summary>What became of a batch of events: which were new and which the log already held (same event id).</summary>
public sealed record RecordResult(IReadOnlyList<Guid> Accepted, IReadOnlyList<Guid> Duplicates);

/// <summary>
/// Writes user-activity events: the interaction rows, their outbox rows and the user's interaction count in one SQL
/// statement (so one transaction, one round trip). An event id already in the log is skipped, which makes retries safe.
/// The listings' popularity counters are left to the content pipeline: updating many listing rows from concurrent
/// requests deadlocked under load, and the worker updates them in one sorted batch.
/// </summary>
public sealed class InteractionRecorder(NpgsqlDataSource dataSource, OutboxSignal outbox, CarRecommenderMetrics metrics, IConfiguration configuration)
{
    /// <summary>
    /// <c>RateLimits:ViewWindowMinutes</c> (default 30): a listing page reloaded by the same user within it records one
    /// view, so reloading cannot pump a listing's views and trending. (Two requests racing within milliseconds may both
    /// record one; the window bounds the rate, not the exact count.)
    /// </summary>
    private TimeSpan ViewWindow => TimeSpan.FromMinutes(configuration.GetValue("RateLimits:ViewWindowMinutes", 30.0));

    private const string Sql = """
        WITH input AS (
            SELECT * FROM unnest($1::uuid[], $2::bigint[], $3::text[], $4::timestamptz[], $5::uuid[], $10::timestamptz[])
                AS t(event_id, listing_id, type, occurred_at, recommendation_id, recorded_at)
        ), kept AS (
            -- with a view window ($9), a view of a listing the user viewed within it is not stored again
            SELECT * FROM input i
            WHERE $9::interval IS NULL OR i.type <> 'View' OR NOT EXISTS (
                SELECT 1 FROM interactions p
                WHERE p.user_id = $6 AND p.listing_id = i.listing_id AND p.type = 'View' AND p.occurred_at > i.occurred_at - $9::interval)
        ), ins AS (
            INSERT INTO interactions (event_id, user_id, listing_id, type, occurred_at, recorded_at, recommendation_id)
            SELECT event_id, $6, listing_id, type, occurred_at, recorded_at, recommendation_id FROM kept
            ON CONFLICT (event_id) DO NOTHING
            RETURNING id, event_id, listing_id, type
        ), queued AS (
            INSERT INTO outbox (interaction_id, trace_parent, trace_state, created_at)
            SELECT id, $7, $8, now() FROM ins
        ), user_counted AS (
            UPDATE users SET interaction_count = interaction_count + (SELECT count(*) FROM ins) WHERE id = $6
        )
        SELECT event_id FROM ins
        """;

    /// <summary>
    /// A request body's events for <paramref name="userId"/>, or none with the reasons in <paramref name="errors"/> (bad
    /// fields, or listings that do not exist).
    /// </summary>
    public Task<List<UserActivityEvent>> ParseAsync(System.Text.Json.JsonElement body, long userId, DateTimeOffset now,
        Dictionary<string, string[]> errors, CancellationToken ct) => ParseAsync(body, userId, now, errors, null, ct);

    /// <param name="impressions">Receives the body's impressions; null: an impression is refused.</param>
    public async Task<List<UserActivityEvent>> ParseAsync(System.Text.Json.JsonElement body, long userId, DateTimeOffset now,
        Dictionary<string, string[]> errors, List<ImpressionReport>? impressions, CancellationToken ct)
    {
        var events = impressions is null ? EventParser.Parse(body, userId, now, errors) : EventParser.Parse(body, userId, now, errors, impressions);
        if (errors.Count > 0) return [];
        var unknown = await UnknownListingsAsync(events.Select(e => e.ListingId), ct);
        if (unknown.Count > 0)
            errors["listingId"] = [$"No listing has the id {string.Join(", ", unknown.Take(10))}{(unknown.Count > 10 ? ", …" : "")}."];
        return errors.Count > 0 ? [] : events;
    }

    /// <summary>Listing ids among <paramref name="listingIds"/> that do not exist.</summary>
    private async Task<List<long>> UnknownListingsAsync(IEnumerable<long> listingIds, CancellationToken ct)
    {
        var ids = listingIds.Distinct().ToArray();
        await using var cmd = dataSource.CreateCommand("SELECT id FROM unnest($1::bigint[]) AS t(id) WHERE NOT EXISTS (SELECT 1 FROM listings l WHERE l.id = t.id)");
        cmd.Parameters.Add(new NpgsqlParameter { Value = ids, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint });
        var unknown = new List<long>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) unknown.Add(reader.GetInt64(0));
        return unknown;
    }

    /// <summary>The view a listing page records: stored unless the user viewed that listing within the view window.</summary>
    public async Task<bool> RecordViewAsync(long userId, long listingId, CancellationToken ct) =>
        (await RecordAsync(userId, [UserActivityEvent.Now(userId, listingId, InteractionType.View)], ct, ViewWindow)).Accepted.Count > 0;

    /// <summary>Records one user's events (as <see cref="EventParser"/> read them for that user).</summary>
    public Task<RecordResult> RecordAsync(long userId, IReadOnlyList<UserActivityEvent> events, CancellationToken ct) => RecordAsync(userId, events, ct, null);

    /// <summary>
    /// Records one user's events inside the caller's <paramref name="transaction"/> (a session merged on sign-in, with
    /// the session's own update). Nothing is announced until the caller has committed and calls <see cref="Committed"/>.
    /// </summary>
    public async Task<RecordResult> RecordAsync(long userId, IReadOnlyList<UserActivityEvent> events, NpgsqlTransaction transaction, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(Sql, transaction.Connection, transaction);
        return await ExecuteAsync(cmd, userId, events, null, ct);
    }

    /// <summary>Counts committed events on the meter and wakes the outbox dispatcher for them.</summary>
    public void Committed(IReadOnlyList<UserActivityEvent> events, RecordResult result)
    {
        if (result.Accepted.Count > 0)
        {
            metrics.EventsAccepted.Add(result.Accepted.Count);
            outbox.Notify();
        }
        var set = result.Accepted.ToHashSet();
        foreach (var e in events)
            if (e.RecommendationId is not null && set.Contains(e.EventId))
                metrics.RecommendationClicks.Add(1, new KeyValuePair<string, object?>("type", e.Type.ToString().ToLowerInvariant()));
    }

    private async Task<RecordResult> RecordAsync(long userId, IReadOnlyList<UserActivityEvent> events, CancellationToken ct, TimeSpan? viewWindow)
    {
        await using var cmd = dataSource.CreateCommand(Sql);
        var result = await ExecuteAsync(cmd, userId, events, viewWindow, ct);
        Committed(events, result);
        return result;
    }

    /// <summary>
    /// The events as five parallel arrays, the next five parameters of <paramref name="cmd"/>: event id, listing id, type
    /// (stored name), occurred at, recommendation id (for <c>unnest</c>).
    /// </summary>
    internal static void AddEventArrays(NpgsqlCommand cmd, IReadOnlyList<UserActivityEvent> events)
    {
        cmd.Parameters.Add(new NpgsqlParameter { Value = events.Select(e => e.EventId).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid });
        cmd.Parameters.Add(new NpgsqlParameter { Value = events.Select(e => e.ListingId).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint });
        cmd.Parameters.Add(new NpgsqlParameter { Value = events.Select(e => e.Type.ToString()).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = events.Select(e => e.OccurredAt).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
        cmd.Parameters.Add(new NpgsqlParameter { Value = events.Select(e => e.RecommendationId).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid });
    }

    private static async Task<RecordResult> ExecuteAsync(NpgsqlCommand cmd, long userId, IReadOnlyList<UserActivityEvent> events, TimeSpan? viewWindow,
        CancellationToken ct)
    {
        if (events.Any(e => e.UserId != userId)) throw new ArgumentException("Every event of a batch is the one user's.", nameof(events));
        AddEventArrays(cmd, events);
        cmd.Parameters.Add(new NpgsqlParameter { Value = userId, NpgsqlDbType = NpgsqlDbType.Bigint });
        // the request's trace context travels with the event: API → outbox → RabbitMQ → worker in one trace
        var (traceParent, traceState) = MessageTracing.ToStored(Activity.Current?.Context ?? default);
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)traceParent ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)traceState ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = viewWindow is { } w ? w : DBNull.Value, NpgsqlDbType = NpgsqlDbType.Interval });
        cmd.Parameters.Add(new NpgsqlParameter { Value = events.Select(e => e.RecordedAt).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });

        var accepted = new List<Guid>(events.Count);
        await using (var reader = await cmd.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct)) accepted.Add(reader.GetGuid(0));
        }
        var set = accepted.ToHashSet();
        return new RecordResult(accepted, events.Where(e => !set.Contains(e.EventId)).Select(e => e.EventId).ToList());
    }
}
