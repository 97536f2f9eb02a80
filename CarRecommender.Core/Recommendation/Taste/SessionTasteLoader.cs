using System.Numerics.Tensors;
using CarRecommender.Core.Data;
using CarRecommender.Core.Domain;
using CarRecommender.Core.Learning;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Pgvector;

namespace CarRecommender.Core.Recommendation.Taste;

/// <summary>One event of a session as its taste sees it: the listing's content vector (null: it has none) and what was done.</summary>
public readonly record struct SessionSignal(float[]? Content, InteractionType Type);

/// <summary>
/// The taste stage for an anonymous visitor's session (<see cref="VisitorSession"/>): nothing is stored for it, so the
/// taste is computed at read time from the session's events. The content vector is the recency- and type-weighted mean
/// of the content vectors of the listings behind its newest <see cref="RecentEvents"/> events (<see cref="Content"/>);
/// there is no latent vector and no car-model affinity (a session is not in any trained model); the history (every
/// listing it acted on, with the strongest kind it stands by and whether it dismissed it) drives the exclusions
/// (contacted and dismissed listings never come back) and the reasons ("Similar to the 2019 … you viewed"). The user
/// id the engine passes is not used: the loader is made for one session.
/// </summary>
public sealed class SessionTasteLoader(CarRecommenderDb db, Guid sessionId) : ITasteLoader
{
    /// <summary>How many of the session's newest events make its content taste.</summary>
    public const int RecentEvents = 50;

    /// <summary>
    /// An event's pull halves every this many newer events. Counted in events, not hours: a session is short and
    /// bursty, and the last few cars looked at say most about what the visitor is after now.
    /// </summary>
    public const double HalfLifeEvents = 10;

    public async ValueTask<UserContext?> LoadAsync(long userId, CancellationToken ct)
    {
        var session = await db.Sessions.AsNoTracking().Where(s => s.Id == sessionId)
            .Select(s => new { s.EventCount }).SingleOrDefaultAsync(ct);
        if (session is null) return null;
        var conn = (NpgsqlConnection)db.Database.GetDbConnection();
        var opened = conn.State != System.Data.ConnectionState.Open;
        if (opened) await conn.OpenAsync(ct);
        try
        {
            var content = Content(await RecentAsync(conn, ct));
            var history = await HistoryAsync(conn, ct);
            return new UserContext(new UserTaste(content, null, session.EventCount, history), null, null, null);
        }
        finally
        {
            if (opened) await conn.CloseAsync();
        }
    }

    /// <summary>
    /// The content taste of a session's events, newest first: each listing's vector weighted by what was done with it
    /// (<see cref="ContentProfile.WeightOf"/>, the users' type weights: a save pulls three times a view, a dismissal
    /// pushes away) and by its recency (halved every <see cref="HalfLifeEvents"/> newer events). As in a user's
    /// <see cref="ContentProfile"/>, negative events move the sum but add no weight, so the mean is of what the visitor
    /// liked, pushed away from what they did not. Null while nothing positive with a vector was seen.
    /// </summary>
    public static float[]? Content(IReadOnlyList<SessionSignal> newestFirst)
    {
        float[]? sum = null;
        double weight = 0;
        for (var i = 0; i < newestFirst.Count; i++)
        {
            if (newestFirst[i].Content is not { } v) continue;
            sum ??= new float[v.Length];
            if (v.Length != sum.Length) throw new ArgumentException($"expected {sum.Length} dimensions, got {v.Length}", nameof(newestFirst));
            var w = ContentProfile.WeightOf(newestFirst[i].Type) * Math.Pow(0.5, i / HalfLifeEvents);
            TensorPrimitives.MultiplyAdd(v, (float)w, sum, sum);
            weight += Math.Max(0, w);
        }
        if (sum is null || weight <= 1e-9) return null;
        TensorPrimitives.Divide(sum, (float)weight, sum);
        return sum;
    }

    private async Task<List<SessionSignal>> RecentAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            SELECT e.type, l.content_vector
            FROM (SELECT listing_id, type, occurred_at, id FROM session_events WHERE session_id = $1
                  ORDER BY occurred_at DESC, id DESC LIMIT $2) e
            JOIN listings l ON l.id = e.listing_id
            ORDER BY e.occurred_at DESC, e.id DESC
            """, conn);
        cmd.Parameters.AddWithValue(sessionId);
        cmd.Parameters.AddWithValue(RecentEvents);
        var signals = new List<SessionSignal>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            signals.Add(new SessionSignal(reader.IsDBNull(1) ? null : reader.GetFieldValue<Vector>(1).ToArray(), Enum.Parse<InteractionType>(reader.GetString(0))));
        return signals;
    }

    /// <summary>Every listing the session acted on (the newest <see cref="PostgresTasteLoader.HistoryLimit"/>), aggregated as a user's history is.</summary>
    private async Task<List<HistoryItem>> HistoryAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand($"""
            SELECT h.listing_id, l.make, l.model, l.year, h.strongest, h.dismissed, l.content_vector
            FROM (SELECT listing_id,
                         {EventCatalogue.SqlStrongest} AS strongest,
                         {EventCatalogue.SqlVetoed} AS dismissed,
                         max(occurred_at) AS last_at
                  FROM session_events WHERE session_id = $1
                  GROUP BY listing_id ORDER BY last_at DESC LIMIT $2) h
            JOIN listings l ON l.id = h.listing_id
            ORDER BY h.last_at DESC
            """, conn);
        cmd.Parameters.AddWithValue(sessionId);
        cmd.Parameters.AddWithValue(PostgresTasteLoader.HistoryLimit);
        var history = new List<HistoryItem>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            history.Add(new HistoryItem(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetInt32(3),
                reader.IsDBNull(4) ? null : Enum.Parse<InteractionType>(reader.GetString(4)), reader.GetBoolean(5),
                reader.IsDBNull(6) ? null : reader.GetFieldValue<Vector>(6).ToArray(), null));
        return history;
    }
}
