using System.Collections.Concurrent;
using System.Threading.Channels;
using CarRecommender.Core.Recommendation;
using CarRecommender.Core.Recommendation.Store;
using CarRecommender.Telemetry;
using Npgsql;

namespace CarRecommender.Pipelines.Recommendations;

/// <summary>
/// Keeps each user's precomputed recommendation list fresh: the pipelines enqueue a user right after committing a batch
/// that changed their vectors, and a few loops recompute the list (<see cref="ListRefresh"/>). A user
/// queued twice before their refresh starts is refreshed once; event-driven refreshes go before the sweep's. Since the queue lives in memory, a sweep at start-up and
/// every minute re-queues users whose vectors changed after their list was computed (a crash, a failed refresh,
/// an ALS retrain that replaced every factor).
/// </summary>
public sealed partial class RecommendationRefresher(
    IServiceScopeFactory scopes, NpgsqlDataSource dataSource, CarRecommenderMetrics metrics, IConfiguration configuration,
    ILogger<RecommendationRefresher> logger)
    : BackgroundService
{
    /// <summary>Refresh loops; each holds one database connection while it works.</summary>
    public const int Loops = 2;
    private static readonly TimeSpan SweepInterval = TimeSpan.FromMinutes(1);

    // Two queues: refreshes after an event come first; the sweep's (after a crash or a retrain: possibly every user)
    // only use the loops when no event is waiting, so a retrain never delays the list of someone browsing now.
    private readonly Channel<long> _urgent = Channel.CreateUnbounded<long>();
    private readonly Channel<long> _background = Channel.CreateUnbounded<long>();
    // user → when the oldest event waiting for their refresh was recorded (for the freshness metric)
    private readonly ConcurrentDictionary<long, DateTimeOffset> _pending = new();
    private readonly ConcurrentDictionary<long, byte> _pendingBackground = new();
    // user → failed refreshes in a row (retried after 1, 2, 3 s)
    private readonly ConcurrentDictionary<long, int> _attempts = new();
    private const int MaxRetries = 3;

    public int Pending => _pending.Count + _pendingBackground.Count;

    /// <summary>Queues a refresh after an event changed the user's vectors (served before any sweep refresh).</summary>
    public void Enqueue(long userId, DateTimeOffset eventRecordedAt)
    {
        if (_pending.TryAdd(userId, eventRecordedAt)) _urgent.Writer.TryWrite(userId);
    }

    /// <summary>Queues a refresh found by the sweep (a stale list), behind every event-driven one.</summary>
    public void EnqueueStale(long userId)
    {
        if (_pendingBackground.TryAdd(userId, 0)) _background.Writer.TryWrite(userId);
    }

    /// <summary>
    /// <c>Recommendations:Sweep</c> (default true). A benchmark turns it off so that a freshly seeded catalogue's
    /// users are not all refreshed while it measures; lists are then made on first request.
    /// </summary>
    private bool Sweep => configuration.GetValue("Recommendations:Sweep", true);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(Enumerable.Range(0, Loops).Select(_ => Task.Run(() => RefreshLoopAsync(stoppingToken), stoppingToken))
            .Append(Sweep ? SweepLoopAsync(stoppingToken) : Task.CompletedTask));

    private async Task RefreshLoopAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            DateTimeOffset? since = null;
            if (_urgent.Reader.TryRead(out var userId))
            {
                // removed before the work, so an event arriving meanwhile queues another refresh
                _pending.TryRemove(userId, out var recorded);
                since = recorded;
            }
            else if (_background.Reader.TryRead(out userId))
            {
                _pendingBackground.TryRemove(userId, out _);
            }
            else
            {
                try
                {
                    await Task.WhenAny(_urgent.Reader.WaitToReadAsync(ct).AsTask(), _background.Reader.WaitToReadAsync(ct).AsTask());
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                continue;
            }

            try
            {
                await using var scope = scopes.CreateAsyncScope();
                await scope.ServiceProvider.GetRequiredService<ListRefresh>().RefreshAsync(userId, ct);
                if (since is { } t) metrics.RecommendationFreshness.Record((DateTimeOffset.UtcNow - t).TotalSeconds);
                _attempts.TryRemove(userId, out _);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogRefreshFailed(logger, userId, ex.Message);
                // try again shortly (the database may be restarting); the sweep is the backstop after that
                var attempt = _attempts.AddOrUpdate(userId, 1, (_, n) => n + 1);
                if (attempt <= MaxRetries)
                    _ = Task.Delay(TimeSpan.FromSeconds(attempt), ct).ContinueWith(
                        _ => { if (since is { } t) Enqueue(userId, t); else EnqueueStale(userId); },
                        ct, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
                else _attempts.TryRemove(userId, out _);
            }
        }
    }

    private async Task SweepLoopAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(SweepInterval);
        do
        {
            try
            {
                var stale = await RecommendationStore.StaleAsync(dataSource, 100_000, ct);
                foreach (var user in stale) EnqueueStale(user);
                if (stale.Count > 0) LogSwept(logger, stale.Count);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogSweepFailed(logger, ex.Message);
            }
        } while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false));
    }

    [LoggerMessage(1, LogLevel.Warning, "Refreshing the recommendations of user {UserId} failed: {Message}")]
    private static partial void LogRefreshFailed(ILogger logger, long userId, string message);

    [LoggerMessage(2, LogLevel.Information, "{Count} users' recommendation lists were older than their vectors; queued for refresh")]
    private static partial void LogSwept(ILogger logger, int count);

    [LoggerMessage(3, LogLevel.Warning, "Looking for stale recommendation lists failed: {Message}")]
    private static partial void LogSweepFailed(ILogger logger, string message);
}
