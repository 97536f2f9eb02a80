using CarRecommender.Core.Learning;
using CarRecommender.Telemetry;
using Npgsql;

namespace CarRecommender.Pipelines.Collaborative;

/// <summary>Settings under <c>Als</c>.</summary>
public sealed class AlsSettings
{
    public int Iterations { get; set; } = 15;
    public double Regularization { get; set; } = 0.1;
    public double Alpha { get; set; } = 10;
    /// <summary>Minutes between scheduled retrains (0 turns the schedule off); a retrain runs only when events arrived since the last model.</summary>
    public double RetrainMinutes { get; set; } = 30;

    /// <summary>The rank is fixed by the latent_vector columns.</summary>
    public AlsOptions ToOptions() => new(CarRecommender.Core.Domain.VectorSizes.Latent, Iterations, Regularization, Alpha);
}

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
                    var version = await new AlsTrainer(dataSource, metrics).TrainAsync(settings.ToOptions(), "schedule", null, stoppingToken);
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

    private async Task<bool> NewInteractionsSinceLastModelAsync(CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand(
            "SELECT EXISTS (SELECT 1 FROM interactions WHERE recorded_at > coalesce((SELECT max(created_at) FROM model_versions), '-infinity'))");
        return (bool)(await cmd.ExecuteScalarAsync(ct))!;
    }

    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "ALS model {Id}: {Users} users × {Items} items in {DurationMs} ms, loss {Loss}")]
    private static partial void LogTrained(ILogger logger, long id, int users, int items, long durationMs, double loss);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Warning, Message = "Scheduled ALS retrain failed: {Message}")]
    private static partial void LogFailed(ILogger logger, string message);
}
