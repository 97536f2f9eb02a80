namespace CarRecommender.Core.Data;

/// <summary>
/// The version stamp written to <c>users.vectors_updated_at</c> whenever a pipeline changes a user's vectors.
/// </summary>
/// <remarks>
/// <c>now()</c> is the transaction's start time, so two pipelines updating the same user could stamp it backwards (the
/// transaction that started first commits last). A precomputed list is kept only when it is "as of" the user's current
/// stamp and never replaced by one from an older stamp, so a backwards step would leave the user's list stale for good.
/// This expression is strictly greater than the row's previous stamp, whatever the commit order.
/// </remarks>
public static class VectorClock
{
    /// <summary>SQL for the new stamp in an <c>UPDATE users SET vectors_updated_at = …</c> (refers to the row's old value).</summary>
    public const string Next = "greatest(clock_timestamp(), coalesce(vectors_updated_at, '-infinity'::timestamptz) + interval '1 microsecond')";
}
