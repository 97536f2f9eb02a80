using CarRecommender.Core.Events;
using Npgsql;

namespace CarRecommender.Pipelines.Worker;

/// <summary>Prunes the pipelines' idempotency records past the redelivery horizon, at start-up and every hour (<see cref="ProcessedEventLog"/>).</summary>
public sealed partial class ProcessedEventsPruner(NpgsqlDataSource dataSource, IConfiguration configuration, TimeProvider time,
    ILogger<ProcessedEventsPruner> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromHours(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var retention = TimeSpan.FromDays(configuration.GetValue("Pipelines:ProcessedEventsRetentionDays", ProcessedEventLog.DefaultRetention.TotalDays));
        using var timer = new PeriodicTimer(Interval, time);
        do
        {
            try
            {
                var deleted = await ProcessedEventLog.PruneAsync(dataSource, time.GetUtcNow() - retention, stoppingToken);
                if (deleted > 0) LogPruned(logger, deleted, retention.TotalDays);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogFailed(logger, ex.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).AsTask().ContinueWith(t => !t.IsCanceled && t.Result, TaskScheduler.Default));
    }

    [LoggerMessage(EventId = 3101, Level = LogLevel.Information, Message = "pruned {Count} processed-event records older than {Days} days")]
    private static partial void LogPruned(ILogger logger, long count, double days);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Warning, Message = "pruning processed-event records failed (next try in an hour): {Message}")]
    private static partial void LogFailed(ILogger logger, string message);
}
