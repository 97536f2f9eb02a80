using Npgsql;
using NpgsqlTypes;

namespace CarRecommender.Api.Interactions;

/// <summary>
/// A listing the client showed the user in a served list, at a 1-based position, as <see cref="EventParser"/> read it
/// (<paramref name="Field"/>: the batch prefix its errors are named by, <c>[3].</c>).
/// </summary>
public sealed record ImpressionReport(string Field, Guid RecommendationId, long ListingId, int Position)
{
    /// <summary>The deepest position a list is served to (<see cref="Core.Recommendation.Store.RecommendationStore.ListSize"/>).</summary>
    public const int MaxPosition = Core.Recommendation.Store.RecommendationStore.ListSize;
}

/// <summary>
/// Checks impressions against the served lists (a list served to this user or session, holding the listing) and
/// stores them, one per list and listing, in <c>impressions</c>. They go through neither the outbox nor the pipelines:
/// an impression says where a listing was shown, not what the user thinks of it, so no taste moves.
/// </summary>
public sealed class ImpressionRecorder(NpgsqlDataSource dataSource)
{
    /// <summary>Adds to <paramref name="errors"/> every impression whose list is not this visitor's or does not hold its listing.</summary>
    public async Task ValidateAsync(IReadOnlyList<ImpressionReport> impressions, long? userId, Guid? sessionId, Dictionary<string, string[]> errors,
        CancellationToken ct)
    {
        if (impressions.Count == 0) return;
        var lists = impressions.Select(i => i.RecommendationId).Distinct().ToArray();
        await using var cmd = dataSource.CreateCommand("""
            SELECT id, listing_ids FROM served_lists
            WHERE id = ANY($1) AND (user_id = $2 OR session_id = $3)
            """);
        cmd.Parameters.Add(new NpgsqlParameter { Value = lists, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)userId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)sessionId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
        var served = new Dictionary<Guid, long[]>();
        await using (var reader = await cmd.ExecuteReaderAsync(ct))
            while (await reader.ReadAsync(ct))
                served[reader.GetGuid(0)] = reader.GetFieldValue<long[]>(1);
        foreach (var i in impressions)
        {
            if (!served.TryGetValue(i.RecommendationId, out var listing))
                errors[i.Field + "recommendationId"] = [$"No list {i.RecommendationId} was served to you."];
            else if (!listing.Contains(i.ListingId))
                errors[i.Field + "listingId"] = [$"Listing {i.ListingId} is not in list {i.RecommendationId}."];
        }
    }

    /// <summary>Stores the impressions (validated); returns how many were new.</summary>
    public async Task<int> RecordAsync(IReadOnlyList<ImpressionReport> impressions, long? userId, Guid? sessionId, CancellationToken ct)
    {
        if (impressions.Count == 0) return 0;
        await using var cmd = dataSource.CreateCommand("""
            INSERT INTO impressions (list_id, listing_id, position, user_id, session_id, recorded_at)
            SELECT t.list_id, t.listing_id, t.position, $4, $5, now()
            FROM unnest($1::uuid[], $2::bigint[], $3::int[]) AS t(list_id, listing_id, position)
            ON CONFLICT (list_id, listing_id) DO NOTHING
            """);
        cmd.Parameters.Add(new NpgsqlParameter { Value = impressions.Select(i => i.RecommendationId).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid });
        cmd.Parameters.Add(new NpgsqlParameter { Value = impressions.Select(i => i.ListingId).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint });
        cmd.Parameters.Add(new NpgsqlParameter { Value = impressions.Select(i => i.Position).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Integer });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)userId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)sessionId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
        return await cmd.ExecuteNonQueryAsync(ct);
    }
}
