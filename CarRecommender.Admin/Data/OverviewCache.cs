namespace CarRecommender.Admin.Data;

/// <summary>Overview counts and when they were counted.</summary>
public sealed record CountedOverview(OverviewCounts Counts, DateTimeOffset CountedAt);

/// <summary>
/// The overview's exact counts, shared by every open overview page. Counting listings by status reads the whole
/// listings table (about 0.3 s at 1,000,000 listings), and each open overview refreshes every 10 s, so the counts are
/// served from the last count while they are younger than <see cref="MaxAge"/>; an older count is still served at once
/// while a single new count runs in the background (the page's next refresh shows it). A count that failed is never
/// served stale: the next caller waits for a new one and sees its error, so a database that is down shows as down.
/// </summary>
public sealed class OverviewCache(AdminQueries queries, TimeProvider time, IHostApplicationLifetime lifetime)
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(10);

    private readonly Lock _lock = new();
    private CountedOverview? _last;
    private Task<CountedOverview>? _running;

    public async Task<CountedOverview> GetAsync(CancellationToken ct)
    {
        Task<CountedOverview> running;
        lock (_lock)
        {
            if (_last is { } last && time.GetUtcNow() - last.CountedAt < MaxAge) return last;
            // on the thread pool, not on the asking page's circuit, which may close before the count ends
            running = _running ??= Task.Run(CountAsync);
            if (_last is { } stale) return stale;
        }
        return await running.WaitAsync(ct);
    }

    private async Task<CountedOverview> CountAsync()
    {
        try
        {
            var started = time.GetUtcNow();
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(lifetime.ApplicationStopping);
            cts.CancelAfter(TimeSpan.FromSeconds(30));
            var counted = new CountedOverview(await queries.OverviewAsync(cts.Token), started);
            lock (_lock) _last = counted;
            return counted;
        }
        catch
        {
            lock (_lock) _last = null;
            throw;
        }
        finally
        {
            lock (_lock) _running = null;
        }
    }
}
