using CarRecommender.Core.Domain;
using CarRecommender.Core.Learning;

namespace CarRecommender.Core.Evaluation;

/// <summary>One aggregated (user, item) pair of a log: dense indices, strength, and the latest time (unix seconds, if known).</summary>
public readonly record struct LogEntry(int User, int Item, float Value, long? Timestamp);

/// <summary>
/// An implicit-feedback log with dense user and item indices: one entry per (user, item) pair, and the original string ids
/// so a recommender (e.g. the production hybrid) can map indices back to users and listings.
/// </summary>
public sealed class InteractionLog(string[] userIds, string[] itemIds, LogEntry[] entries)
{
    /// <summary>Original user id of dense index u.</summary>
    public string[] UserIds { get; } = userIds;
    /// <summary>Original item id of dense index i.</summary>
    public string[] ItemIds { get; } = itemIds;
    public LogEntry[] Entries { get; } = entries;
    public int Users => UserIds.Length;
    public int Items => ItemIds.Length;
    /// <summary>True when every entry has a timestamp (what the temporal protocol needs).</summary>
    public bool HasTimestamps { get; } = entries.Length > 0 && entries.All(e => e.Timestamp.HasValue);

    /// <summary>The user × item matrix of <paramref name="subset"/> (entries of this log), sized to the whole log.</summary>
    public SparseMatrix ToMatrix(IEnumerable<LogEntry> subset) =>
        SparseMatrix.FromTriples(Users, Items, subset.Select(e => (e.User, e.Item, e.Value)).ToList());

    /// <summary>
    /// Aggregates raw events to (user, item) pairs; each pair keeps the sum of its values and the latest timestamp, and
    /// pairs whose sum is not positive are dropped. Ids get dense indices in order of first appearance.
    /// </summary>
    public static InteractionLog Aggregate(IEnumerable<(string User, string Item, float Value, long? Timestamp)> rows)
    {
        var users = new Dictionary<string, int>(StringComparer.Ordinal);
        var items = new Dictionary<string, int>(StringComparer.Ordinal);
        var pairs = new Dictionary<(int, int), (float Value, long? Timestamp)>();
        var order = new List<(int, int)>();
        foreach (var (user, item, value, timestamp) in rows)
        {
            if (!users.TryGetValue(user, out var u)) users[user] = u = users.Count;
            if (!items.TryGetValue(item, out var i)) items[item] = i = items.Count;
            if (pairs.TryGetValue((u, i), out var seen))
            {
                pairs[(u, i)] = (seen.Value + value, Latest(seen.Timestamp, timestamp));
            }
            else
            {
                pairs[(u, i)] = (value, timestamp);
                order.Add((u, i));
            }
        }
        var entries = order.Select(p => (Key: p, Cell: pairs[p])).Where(p => p.Cell.Value > 0)
            .Select(p => new LogEntry(p.Key.Item1, p.Key.Item2, p.Cell.Value, p.Cell.Timestamp)).ToArray();
        return Compact(users.Keys.ToArray(), items.Keys.ToArray(), entries);
    }

    /// <summary>
    /// The product's own log from activity events: strengths by <see cref="ImplicitFeedback.Strength"/> per (user, listing)
    /// (as the production trainer aggregates them), pairs without a positive signal dropped, the latest event's time kept.
    /// </summary>
    public static InteractionLog FromEvents(IEnumerable<Interaction> events)
    {
        var rows = events.GroupBy(e => (e.UserId, e.ListingId))
            .Select(g => (g.Key.UserId.ToString(System.Globalization.CultureInfo.InvariantCulture),
                g.Key.ListingId.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ImplicitFeedback.Strength(g.Select(e => e.Type)),
                (long?)g.Max(e => e.OccurredAt).ToUnixTimeSeconds()));
        return Aggregate(rows);
    }

    private static long? Latest(long? a, long? b) => a is null ? b : b is null ? a : Math.Max(a.Value, b.Value);

    /// <summary>Drops users and items left without entries (after filtering), renumbering densely.</summary>
    private static InteractionLog Compact(string[] userIds, string[] itemIds, LogEntry[] entries)
    {
        var userMap = Enumerable.Repeat(-1, userIds.Length).ToArray();
        var itemMap = Enumerable.Repeat(-1, itemIds.Length).ToArray();
        var users = new List<string>();
        var items = new List<string>();
        for (var n = 0; n < entries.Length; n++)
        {
            var e = entries[n];
            if (userMap[e.User] < 0) { userMap[e.User] = users.Count; users.Add(userIds[e.User]); }
            if (itemMap[e.Item] < 0) { itemMap[e.Item] = items.Count; items.Add(itemIds[e.Item]); }
            entries[n] = e with { User = userMap[e.User], Item = itemMap[e.Item] };
        }
        return new InteractionLog([.. users], [.. items], entries);
    }
}
