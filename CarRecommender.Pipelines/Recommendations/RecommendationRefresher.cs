using System.Collections.Concurrent;
using System.Threading.Channels;
using CarRecommender.Core.Data;
using CarRecommender.Telemetry;
using Npgsql;

namespace CarRecommender.Pipelines.Recommendations;

/// <summary>
/// Keeps each user's precomputed recommendation list fresh: the pipelines enqueue a user right after committing a batch
/// that changed their vectors, and a few loops recompute the list (<see cref="Recommender.RefreshAsync"/>). A user
/// queued twice before their refresh starts is refreshed once. Since the queue lives in memory, a sweep at start-up and
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

    private readonly Channel<long> _queue = Channel.CreateUnbounded<long>();
    // user → when the oldest event waiting for their refresh was recorded (for the freshness metric)
    private readonly ConcurrentDictionary<long, DateTimeOffset> _pending = new();

    public int Pending => _pending.Count;

    public void Enqueue(long userId, DateTimeOffset eventRecordedAt)
    {
        if (_pending.TryAdd(userId, eventRecordedAt)) _queue.Writer.TryWrite(userId);
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
        await foreach (var userId in _queue.Reader.ReadAllAsync(ct))
        {
            // removed before the work, so an event arriving meanwhile queues another refresh
            _pending.TryRemove(userId, out var since);
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var recommender = scope.ServiceProvider.GetRequiredService<Recommender>();
                await recommender.RefreshAsync(userId, ct);
                metrics.RecommendationFreshness.Record((DateTimeOffset.UtcNow - since).TotalSeconds);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // the next sweep finds the user again (their vectors are newer than their list)
                LogRefreshFailed(logger, userId, ex.Message);
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
                var stale = 0;
                await using var cmd = dataSource.CreateCommand("""
                    SELECT u.id, u.vectors_updated_at FROM users u LEFT JOIN recommendations r ON r.user_id = u.id
                    WHERE u.vectors_updated_at IS NOT NULL
                      AND (r.computed_at IS NULL OR r.vectors_as_of IS DISTINCT FROM u.vectors_updated_at
                           OR r.computed_at < (SELECT max(created_at) FROM model_versions))
                    ORDER BY r.computed_at NULLS FIRST
                    LIMIT 100000
                    """);
                await using var reader = await cmd.ExecuteReaderAsync(ct);
                while (await reader.ReadAsync(ct))
                {
                    Enqueue(reader.GetInt64(0), reader.GetFieldValue<DateTimeOffset>(1));
                    stale++;
                }
                if (stale > 0) LogSwept(logger, stale);
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
