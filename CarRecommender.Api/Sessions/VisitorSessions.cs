using System.Security.Cryptography;
using CarRecommender.Api.Interactions;
using CarRecommender.Core.Domain;
using CarRecommender.Core.Events;
using Npgsql;
using NpgsqlTypes;

namespace CarRecommender.Api.Sessions;

/// <summary>Where an anonymous session stands.</summary>
public enum SessionState { Unknown, Open, Merged }

/// <summary>What became of a session's events: nothing when the session is unknown or merged (<see cref="Recorded"/> null).</summary>
public sealed record SessionEventsResult(SessionState State, RecordResult? Recorded);

/// <summary>A merge asked for: the session's state afterwards, the user it belongs to (when merged) and its event count.</summary>
public sealed record SessionMergeResult(SessionState State, long? UserId, int Events);

/// <summary>
/// Anonymous visitors' sessions: created with a random id (the session's bearer secret), their events recorded in
/// <c>session_events</c>, and merged into a user on sign-in. A session's events go through no outbox: its taste is
/// computed when its recommendations are read (<see cref="Core.Recommendation.Taste.SessionTasteLoader"/>). Merging
/// records them as the user's through <see cref="InteractionRecorder"/>, so from then on they flow like any event.
/// </summary>
public sealed class VisitorSessions(NpgsqlDataSource dataSource, InteractionRecorder recorder)
{
    /// <summary>The request header that names an anonymous caller's session.</summary>
    public const string Header = "X-Session-Id";

    // name-based ids (RFC 4122 version 5) of merged events live in this namespace of their own
    private static readonly Guid MergeNamespace = new("6f1c2b1e-4a7d-4e0b-9a57-1d1f3e0c5b42");

    public async Task<SessionCreatedDto> CreateAsync(DateTimeOffset now, CancellationToken ct)
    {
        var id = NewId();
        await using var cmd = dataSource.CreateCommand("INSERT INTO sessions (id, created_at, last_seen_at, event_count) VALUES ($1, $2, $2, 0)");
        cmd.Parameters.AddWithValue(id);
        cmd.Parameters.AddWithValue(now);
        await cmd.ExecuteNonQueryAsync(ct);
        return new SessionCreatedDto(id, now);
    }

    /// <summary>
    /// A version 4 UUID from the cryptographic generator: 122 random bits, since whoever knows the id acts as the
    /// session (<see cref="Guid.NewGuid"/> does not promise a cryptographic source).
    /// </summary>
    public static Guid NewId()
    {
        Span<byte> bytes = stackalloc byte[16];
        RandomNumberGenerator.Fill(bytes);
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x40);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes, bigEndian: true);
    }

    /// <summary>Whether the session exists and is still anonymous (a primary-key read).</summary>
    public async Task<SessionState> StateAsync(Guid id, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand("SELECT merged_into_user_id IS NOT NULL FROM sessions WHERE id = $1");
        cmd.Parameters.AddWithValue(id);
        return await cmd.ExecuteScalarAsync(ct) switch
        {
            null => SessionState.Unknown,
            true => SessionState.Merged,
            _ => SessionState.Open,
        };
    }

    private const string RecordSql = """
        WITH s AS (
            -- the session row locked: a merge running at the same time either sees these events or makes this insert nothing
            SELECT merged_into_user_id FROM sessions WHERE id = $6 FOR UPDATE
        ), ins AS (
            INSERT INTO session_events (event_id, session_id, listing_id, type, occurred_at, recorded_at, recommendation_id)
            SELECT t.event_id, $6, t.listing_id, t.type, t.occurred_at, $7, t.recommendation_id
            FROM unnest($1::uuid[], $2::bigint[], $3::text[], $4::timestamptz[], $5::uuid[])
                AS t(event_id, listing_id, type, occurred_at, recommendation_id)
            WHERE EXISTS (SELECT 1 FROM s WHERE merged_into_user_id IS NULL)
            ON CONFLICT (event_id) DO NOTHING
            RETURNING event_id
        ), touched AS (
            UPDATE sessions SET event_count = event_count + (SELECT count(*) FROM ins), last_seen_at = greatest(last_seen_at, $7)
            WHERE id = $6 AND merged_into_user_id IS NULL
        )
        SELECT EXISTS (SELECT 1 FROM s), EXISTS (SELECT 1 FROM s WHERE merged_into_user_id IS NOT NULL), ARRAY(SELECT event_id FROM ins)
        """;

    /// <summary>
    /// Records a session's events (as <see cref="EventParser"/> read them) and counts them on the session, in one
    /// statement; an event id already stored is skipped, so retries are safe. Nothing is stored for an unknown or a
    /// merged session.
    /// </summary>
    public async Task<SessionEventsResult> RecordAsync(Guid id, IReadOnlyList<UserActivityEvent> events, DateTimeOffset now, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand(RecordSql);
        InteractionRecorder.AddEventArrays(cmd, events);
        cmd.Parameters.Add(new NpgsqlParameter { Value = id, NpgsqlDbType = NpgsqlDbType.Uuid });
        cmd.Parameters.Add(new NpgsqlParameter { Value = now, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        if (!reader.GetBoolean(0)) return new SessionEventsResult(SessionState.Unknown, null);
        if (reader.GetBoolean(1)) return new SessionEventsResult(SessionState.Merged, null);
        var accepted = reader.GetFieldValue<Guid[]>(2);
        var set = accepted.ToHashSet();
        return new SessionEventsResult(SessionState.Open, new RecordResult(accepted, events.Where(e => !set.Contains(e.EventId)).Select(e => e.EventId).ToList()));
    }

    /// <summary>
    /// Makes the session's events the user's, in one transaction: each recorded through
    /// <see cref="InteractionRecorder"/> (interaction and outbox rows, so the pipelines update the user's vectors as for
    /// any event) under an id derived from its session event id (<see cref="MergedEventId"/>: a retried merge stores
    /// nothing twice), and the session marked merged into the user. A session already merged is left as it is: the
    /// result names its user, whoever asks.
    /// </summary>
    public async Task<SessionMergeResult> MergeAsync(Guid id, long userId, DateTimeOffset now, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        long? mergedInto;
        int count;
        await using (var session = new NpgsqlCommand("SELECT merged_into_user_id, event_count FROM sessions WHERE id = $1 FOR UPDATE", conn, tx))
        {
            session.Parameters.AddWithValue(id);
            await using var reader = await session.ExecuteReaderAsync(ct);
            if (!await reader.ReadAsync(ct)) return new SessionMergeResult(SessionState.Unknown, null, 0);
            (mergedInto, count) = (reader.IsDBNull(0) ? null : reader.GetInt64(0), reader.GetInt32(1));
        }
        if (mergedInto is not null) return new SessionMergeResult(SessionState.Merged, mergedInto, count);

        var events = new List<UserActivityEvent>();
        await using (var read = new NpgsqlCommand("""
            SELECT event_id, listing_id, type, occurred_at, recommendation_id FROM session_events
            WHERE session_id = $1 ORDER BY occurred_at, id
            """, conn, tx))
        {
            read.Parameters.AddWithValue(id);
            await using var reader = await read.ExecuteReaderAsync(ct);
            // recorded now: the user's log holds them from now on (a retrain's late fold-in goes by recorded_at)
            while (await reader.ReadAsync(ct))
                events.Add(new UserActivityEvent(MergedEventId(reader.GetGuid(0)), userId, reader.GetInt64(1), Enum.Parse<InteractionType>(reader.GetString(2)),
                    reader.GetFieldValue<DateTimeOffset>(3), now, reader.IsDBNull(4) ? null : reader.GetGuid(4)));
        }
        var recorded = events.Count == 0 ? new RecordResult([], []) : await recorder.RecordAsync(userId, events, tx, ct);
        await using (var mark = new NpgsqlCommand("UPDATE sessions SET merged_into_user_id = $2, merged_at = $3 WHERE id = $1", conn, tx))
        {
            mark.Parameters.AddWithValue(id);
            mark.Parameters.AddWithValue(userId);
            mark.Parameters.AddWithValue(now);
            await mark.ExecuteNonQueryAsync(ct);
        }
        await tx.CommitAsync(ct);
        recorder.Committed(events, recorded);
        return new SessionMergeResult(SessionState.Merged, userId, count);
    }

    /// <summary>The id of a session event once it is a user's interaction: a name-based (version 5) UUID of the session event id.</summary>
    public static Guid MergedEventId(Guid sessionEventId)
    {
        Span<byte> name = stackalloc byte[32];
        MergeNamespace.TryWriteBytes(name[..16], bigEndian: true, out _);
        sessionEventId.TryWriteBytes(name[16..], bigEndian: true, out _);
        Span<byte> hash = stackalloc byte[SHA1.HashSizeInBytes];
#pragma warning disable CA5350 // SHA-1 is what RFC 4122 prescribes for version 5 ids: a name hash, not a security boundary
        SHA1.HashData(name, hash);
#pragma warning restore CA5350
        hash[6] = (byte)((hash[6] & 0x0F) | 0x50);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash[..16], bigEndian: true);
    }
}
