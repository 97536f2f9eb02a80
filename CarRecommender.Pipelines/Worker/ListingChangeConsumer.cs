using CarRecommender.Core.Data;
using CarRecommender.Core.Events;
using Npgsql;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace CarRecommender.Pipelines.Worker;

/// <summary>
/// Lets listing changes reach users: for a batch of changes from the listings exchange, the stored lists of the users
/// they concern are recomputed before the message is acknowledged — a price drop for everyone who viewed or saved the
/// car (the ranker brings it back up with the price-drop reason), a sale for everyone whose list held it (the list
/// fills its gap). New and repriced listings get their market price and deal rating from their market's active price
/// model first (a new market has none until the scheduler trains it). The import gave new listings their content
/// vectors and their car model's factors.
/// A body that is not a batch is dead-lettered at once; a batch that fails is returned and retried (the broker's
/// delivery limit dead-letters one that always fails).
/// </summary>
public sealed partial class ListingChangeConsumer(IServiceProvider services, NpgsqlDataSource dataSource, Pricing.ActivePriceModels prices,
    ILogger<ListingChangeConsumer> logger)
    : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Messaging.Reconnecting.RunAsync(ConsumeAsync, (backoff, ex) => LogDown(logger, backoff.TotalSeconds, ex.Message), stoppingToken);

    private async Task ConsumeAsync(CancellationToken ct)
    {
        var connection = services.GetRequiredService<IConnection>();
        await Messaging.EventTopologySetup.DeclareAsync(connection, ct);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: ct);
        await channel.BasicQosAsync(0, 1, global: false, ct);
        var closed = new TaskCompletionSource();
        channel.ChannelShutdownAsync += (_, _) =>
        {
            closed.TrySetResult();
            return Task.CompletedTask;
        };
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += async (_, ea) =>
        {
            var batch = ListingChangeEvent.Parse(ea.Body.Span, out var error);
            if (batch is null)
            {
                LogPoison(logger, error ?? "unreadable");
                await channel.BasicRejectAsync(ea.DeliveryTag, requeue: false, ct);
                return;
            }
            try
            {
                var refreshed = await ApplyAsync(batch, ct);
                await channel.BasicAckAsync(ea.DeliveryTag, multiple: false, ct);
                LogApplied(logger, batch.Count, refreshed);
            }
            catch (Exception ex) when (!ct.IsCancellationRequested)
            {
                LogRetry(logger, batch.Count, ex.GetType().Name, ex.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), ct);
                await channel.BasicNackAsync(ea.DeliveryTag, multiple: false, requeue: true, ct);
            }
        };
        await channel.BasicConsumeAsync(ListingTopology.Queue, autoAck: false, consumer, ct);
        await closed.Task.WaitAsync(ct);
        throw new InvalidOperationException("the channel closed");
    }

    /// <summary>Recomputes the lists of the users the changes concern; returns how many.</summary>
    private async Task<int> ApplyAsync(IReadOnlyList<ListingChangeEvent> batch, CancellationToken ct)
    {
        var priced = batch.Where(c => c.Kind is ListingChangeKind.Listed or ListingChangeKind.PriceDropped or ListingChangeKind.PriceRaised)
            .Select(c => c.ListingId).Distinct().ToArray();
        try
        {
            await Pricing.PricedListings.EstimateAsync(dataSource, prices, priced, ct);
        }
        catch (Exception ex) when (ex is not (OperationCanceledException or NpgsqlException or TimeoutException))
        {
            // a model that cannot be loaded or run must not hold up the lists: the next training re-estimates these listings
            LogNotEstimated(logger, priced.Length, ex.Message);
        }
        var dropped = batch.Where(c => c.Kind == ListingChangeKind.PriceDropped).Select(c => c.ListingId).Distinct().ToArray();
        var sold = batch.Where(c => c.Kind == ListingChangeKind.Sold).Select(c => c.ListingId).Distinct().ToArray();
        if (dropped.Length == 0 && sold.Length == 0) return 0;
        // those who showed interest in a car whose price dropped, and those whose list holds a car that sold
        await using var cmd = dataSource.CreateCommand($"SELECT DISTINCT user_id FROM interactions WHERE listing_id = ANY($1) AND type IN ({Core.Recommendation.EventCatalogue.SqlShowingInterest})");
        cmd.Parameters.AddWithValue(dropped);
        var users = new HashSet<long>();
        await using (var reader = await cmd.ExecuteReaderAsync(ct))
            while (await reader.ReadAsync(ct)) users.Add(reader.GetInt64(0));
        users.UnionWith(await Core.Recommendation.Store.RecommendationStore.HoldersAsync(dataSource, sold, ct));
        foreach (var user in users)
        {
            await using var scope = services.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<Core.Recommendation.ListRefresh>().RefreshAsync(user, ct);
        }
        return users.Count;
    }

    [LoggerMessage(EventId = 3301, Level = LogLevel.Information, Message = "{Count} listing changes applied: {Users} lists recomputed")]
    private static partial void LogApplied(ILogger logger, int count, int users);

    [LoggerMessage(EventId = 3302, Level = LogLevel.Warning, Message = "applying {Count} listing changes failed, returned for a retry: {Error}: {Message}")]
    private static partial void LogRetry(ILogger logger, int count, string error, string message);

    [LoggerMessage(EventId = 3303, Level = LogLevel.Error, Message = "a listing-change message is not a batch, dead-lettered: {Error}")]
    private static partial void LogPoison(ILogger logger, string error);

    [LoggerMessage(EventId = 3305, Level = LogLevel.Warning, Message = "{Count} new or repriced listings were not estimated: {Message}")]
    private static partial void LogNotEstimated(ILogger logger, int count, string message);

    [LoggerMessage(EventId = 3304, Level = LogLevel.Warning, Message = "listing-change consumer down, reconnecting in {Seconds} s: {Message}")]
    private static partial void LogDown(ILogger logger, double seconds, string message);
}
