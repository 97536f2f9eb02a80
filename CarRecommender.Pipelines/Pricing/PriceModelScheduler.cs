using CarRecommender.Core.Pricing;
using Npgsql;

namespace CarRecommender.Pipelines.Pricing;

/// <summary>
/// When the market price models are retrained, in the background (the event pipelines never wait for it): at start-up
/// and after listings were added (the newest listing id moved, then stood still for <see cref="PricingSettings.QuietSeconds"/>,
/// so an import or the demo seed has finished), each market that has enough listings and either no active model or at
/// least <see cref="PricingSettings.NewListingShare"/> of its listings newer than its model; and every market every
/// <see cref="PricingSettings.RetrainMinutes"/>. Operators ask for one through the <c>price-model</c> job.
/// </summary>
public sealed partial class PriceModelScheduler(NpgsqlDataSource dataSource, PriceModelTrainer trainer, PricingSettings settings,
    ILogger<PriceModelScheduler> logger) : BackgroundService
{
    /// <summary>How often the newest listing id is read (a primary-key lookup).</summary>
    public static readonly TimeSpan Poll = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // off the host's start-up path: the first decision may train for a while
        await Task.Yield();
        long? seenId = null, checkedId = null;
        // the first training of this worker's life is the start-up one, even when the demo seed was still running at start
        var started = false;
        var changedAt = DateTime.UtcNow;
        var nextSchedule = settings.RetrainMinutes > 0 ? DateTime.UtcNow.AddMinutes(settings.RetrainMinutes) : DateTime.MaxValue;
        using var timer = new PeriodicTimer(Poll);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var newest = await NewestListingAsync(stoppingToken);
                if (newest != seenId) (seenId, changedAt) = (newest, DateTime.UtcNow);
                if (DateTime.UtcNow >= nextSchedule)
                {
                    nextSchedule = DateTime.UtcNow.AddMinutes(settings.RetrainMinutes);
                    Log(await trainer.TrainAsync(null, "schedule", null, stoppingToken));
                }
                else if (seenId != checkedId && DateTime.UtcNow - changedAt >= TimeSpan.FromSeconds(settings.QuietSeconds))
                {
                    if (await DueMarketsAsync(stoppingToken) is { Count: > 0 } due)
                    {
                        Log(await trainer.TrainAsync(due, started ? "import" : "startup", null, stoppingToken));
                        started = true;
                    }
                    checkedId = seenId;
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                LogFailed(logger, ex.Message);
                // a failed decision or training is tried again on the next change or the next check a little later
                checkedId = null;
                await Task.Delay(TimeSpan.FromSeconds(30), stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
            if (!await timer.WaitForNextTickAsync(stoppingToken).AsTask().ContinueWith(t => !t.IsCanceled && t.Result, TaskScheduler.Default)) break;
        }
    }

    private async Task<long> NewestListingAsync(CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand("SELECT coalesce(max(id), 0) FROM listings");
        return (long)(await cmd.ExecuteScalarAsync(ct))!;
    }

    /// <summary>Markets with enough active listings and no active model, or a model older than a large enough share of them.</summary>
    private async Task<List<string>> DueMarketsAsync(CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand("""
            SELECT upper(l.currency), count(*)::int, count(*) FILTER (WHERE m.id IS NULL OR l.created_at > m.trained_at)::int
            FROM listings l LEFT JOIN price_models m ON m.market = upper(l.currency) AND m.active
            WHERE l.status = 'Active'
            GROUP BY 1
            """);
        var due = new List<string>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var (market, total, newer) = (reader.GetString(0), reader.GetInt32(1), reader.GetInt32(2));
            if (MarketPricing.Due(total, newer, settings.NewListingShare)) due.Add(market);
        }
        return due;
    }

    private void Log(IReadOnlyList<TrainedMarket> trained)
    {
        foreach (var t in trained) LogTrained(logger, t.Describe());
    }

    [LoggerMessage(EventId = 4101, Level = LogLevel.Information, Message = "Price model: {Outcome}")]
    private static partial void LogTrained(ILogger logger, string outcome);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Warning, Message = "Price model training failed: {Message}")]
    private static partial void LogFailed(ILogger logger, string message);
}
