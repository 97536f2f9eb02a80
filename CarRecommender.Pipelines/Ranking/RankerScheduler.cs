using CarRecommender.Core.Data;
using CarRecommender.Core.Learning;
using CarRecommender.Core.Recommendation.Rules;
using Npgsql;

namespace CarRecommender.Pipelines.Ranking;

/// <summary>
/// Retrains the learned ranker every <see cref="RankerSettings.RetrainMinutes"/> (<c>Ranker:RetrainMinutes</c>, 0: never)
/// when users reacted to served lists since the newest model.
/// </summary>
public sealed partial class RankerScheduler(NpgsqlDataSource dataSource, RankerSettings settings, EngineSettings engine, IServiceScopeFactory scopes,
    ILogger<RankerScheduler> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (settings.RetrainMinutes <= 0) return;
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(settings.RetrainMinutes));
        while (await timer.WaitForNextTickAsync(stoppingToken).AsTask().ContinueWith(t => !t.IsCanceled && t.Result, TaskScheduler.Default))
        {
            try
            {
                var trainer = new RankerTrainer(dataSource);
                if (!await trainer.NewReactionsSinceLastModelAsync(stoppingToken)) continue;
                await using var scope = scopes.CreateAsyncScope();
                var report = await trainer.TrainAsync(scope.ServiceProvider.GetRequiredService<CarRecommenderDb>(), settings, engine.Ranking, null, stoppingToken);
                LogTrained(logger, report.Summary);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogFailed(logger, ex.Message);
            }
        }
    }

    [LoggerMessage(EventId = 4101, Level = LogLevel.Information, Message = "Learned ranker: {Summary}")]
    private static partial void LogTrained(ILogger logger, string summary);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Warning, Message = "Scheduled learned-ranker training failed: {Message}")]
    private static partial void LogFailed(ILogger logger, string message);
}
