using CarRecommender.Core.Learning;
using CarRecommender.Telemetry;
using Npgsql;

namespace CarRecommender.Pipelines.Collaborative;

/// <summary>Retrains ALS on a schedule when new interactions arrived since the current model.</summary>
public sealed partial class AlsScheduler(NpgsqlDataSource dataSource, AlsSettings settings, CarRecommenderMetrics metrics, ILogger<AlsScheduler> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (settings.RetrainMinutes <= 0) return;
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(settings.RetrainMinutes));
        do
        {
            try
            {
                if (await NewInteractionsSinceLastModelAsync(stoppingToken))
                {
                    var version = await new AlsTrainer(dataSource).TrainAsync(settings, "schedule", null, stoppingToken);
                    if (version is not null) metrics.RecordModel(version);
                    if (version is not null) LogTrained(logger, version.Id, version.Users, version.Items, version.DurationMs, version.Loss);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogFailed(logger, ex.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).AsTask().ContinueWith(t => !t.IsCanceled && t.Result, TaskScheduler.Default));
    }

    /// <summary>
    /// Whether interactions arrived after the newest model's snapshot (the time it read its log, not the time it finished:
    /// events of a long retrain's run are not in it). Index on recorded_at.
    /// </summary>
    private async Task<bool> NewInteractionsSinceLastModelAsync(CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand("""
            SELECT EXISTS (SELECT 1 FROM interactions
                           WHERE recorded_at > coalesce((SELECT coalesce(snapshot_at, created_at) FROM model_versions ORDER BY id DESC LIMIT 1), '-infinity'))
            """);
        return (bool)(await cmd.ExecuteScalarAsync(ct))!;
    }

    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "ALS model {Id}: {Users} users × {Items} items in {DurationMs} ms, loss {Loss}")]
    private static partial void LogTrained(ILogger logger, long id, int users, int items, long durationMs, double loss);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Warning, Message = "Scheduled ALS retrain failed: {Message}")]
    private static partial void LogFailed(ILogger logger, string message);
}
