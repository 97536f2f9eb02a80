using System.Diagnostics;
using System.Text;
using System.Threading.Channels;
using CarRecommender.Core.Events;
using CarRecommender.Messaging;
using CarRecommender.Pipelines.Recommendations;
using CarRecommender.Telemetry;
using Npgsql;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace CarRecommender.Pipelines.Worker;

/// <summary>
/// Consumes one pipeline queue: prefetch-bounded deliveries are gathered into batches and handed to the pipeline, which
/// applies a batch in one transaction (vectors and processed event ids together); the batch is acknowledged only after
/// that commit. Poison messages (unreadable, or refused by the pipeline, e.g. an unknown listing) are republished to the
/// dead-letter exchange with the reason in a header and then acknowledged. While the database is unreachable the batch
/// is retried with back-off and stays unacknowledged, so a restart of either side loses nothing. A message that keeps
/// failing in another way is retried a few times, then dead-lettered; RabbitMQ's delivery limit (quorum queues) catches
/// one that crashes the worker every time.
/// </summary>
public sealed partial class PipelineConsumer<THandler>(IServiceProvider services, THandler handler, CarRecommenderMetrics metrics,
    RecommendationRefresher refresher, ILogger<PipelineConsumer<THandler>> logger) : BackgroundService where THandler : IPipelineHandler
{
    public const ushort Prefetch = 1000;
    public const int BatchSize = 250;
    private const int AttemptsPerMessage = 3;
    /// <summary>Timeouts of a whole batch, while the database answers, before it is split one by one.</summary>
    private const int BatchTimeouts = 3;

    private sealed record Delivery(ulong Tag, byte[] Body, IReadOnlyBasicProperties Properties, bool Redelivered);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var backoff = TimeSpan.FromMilliseconds(500);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await ConsumeAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                LogConsumerDown(logger, handler.Pipeline, backoff.TotalSeconds, ex.GetType().Name, ex.Message);
                await Task.Delay(backoff, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                backoff = TimeSpan.FromTicks(Math.Min(TimeSpan.FromSeconds(10).Ticks, backoff.Ticks * 2));
            }
        }
    }

    private async Task ConsumeAsync(CancellationToken stoppingToken)
    {
        var connection = services.GetRequiredService<IConnection>();
        await using var channel = await connection.CreateChannelAsync(cancellationToken: stoppingToken);
        await using var deadLetters = await connection.CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), stoppingToken);
        await EventTopologySetup.DeclareAsync(connection, channel, stoppingToken);
        await channel.BasicQosAsync(0, Prefetch, global: false, stoppingToken);

        var inbox = Channel.CreateUnbounded<Delivery>(new UnboundedChannelOptions { SingleReader = true });
        using var closed = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        channel.ChannelShutdownAsync += (_, _) =>
        {
            inbox.Writer.TryComplete();
            return Task.CompletedTask;
        };
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += (_, ea) =>
        {
            // the body buffer is only valid during this callback
            inbox.Writer.TryWrite(new Delivery(ea.DeliveryTag, ea.Body.ToArray(), ea.BasicProperties, ea.Redelivered));
            return Task.CompletedTask;
        };
        await channel.BasicConsumeAsync(handler.Queue, autoAck: false, consumer, stoppingToken);
        LogConsuming(logger, handler.Pipeline, handler.Queue);

        var batch = new List<Delivery>(BatchSize);
        while (await inbox.Reader.WaitToReadAsync(stoppingToken))
        {
            batch.Clear();
            while (batch.Count < BatchSize && inbox.Reader.TryRead(out var d)) batch.Add(d);
            if (batch.Count == 0) continue;
            if (!await ProcessAsync(channel, deadLetters, batch, stoppingToken)) return; // shutting down: unacked ones come back
        }
        throw new InvalidOperationException("the consumer channel closed");
    }

    /// <summary>Settles a batch: true when every delivery was acknowledged.</summary>
    private async Task<bool> ProcessAsync(IChannel channel, IChannel deadLetters, List<Delivery> batch, CancellationToken ct)
    {
        var events = new List<(Delivery Delivery, UserActivityEvent Event)>(batch.Count);
        var dead = new List<(Delivery Delivery, string Reason)>();
        foreach (var d in batch)
        {
            var e = UserActivityEvent.Parse(d.Body, out var error);
            if (e is null) dead.Add((d, error!));
            else events.Add((d, e));
        }

        using var activity = StartBatchActivity(events.Count > 0 ? events[0].Delivery : batch[0], batch.Count);
        IReadOnlyList<EventResult> results;
        try
        {
            results = await ApplyWithRetryAsync(events.Select(x => x.Event).ToList(), ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return false;
        }
        catch (Exception ex)
        {
            // not the database being away: find the culprit(s) one by one
            LogBatchFailed(logger, handler.Pipeline, batch.Count, ex.Message);
            results = await ApplyOneByOneAsync(events.Select(x => x.Event).ToList(), ct);
        }

        var now = DateTimeOffset.UtcNow;
        for (var i = 0; i < events.Count; i++)
        {
            var (delivery, e) = events[i];
            switch (results[i].Outcome)
            {
                case EventOutcome.Applied:
                    metrics.EventsProcessed.Add(1, new KeyValuePair<string, object?>("pipeline", handler.Pipeline));
                    metrics.Freshness.Record((now - e.RecordedAt).TotalSeconds, new KeyValuePair<string, object?>("pipeline", handler.Pipeline));
                    if (handler.ChangesUserVectors) refresher.Enqueue(e.UserId, e.RecordedAt);
                    break;
                case EventOutcome.Duplicate:
                    metrics.EventsDuplicate.Add(1, new KeyValuePair<string, object?>("pipeline", handler.Pipeline));
                    break;
                default:
                    dead.Add((delivery, results[i].Reason ?? "rejected"));
                    break;
            }
        }

        foreach (var (delivery, reason) in dead)
        {
            await DeadLetterAsync(deadLetters, delivery, reason, ct);
            metrics.EventsDeadLettered.Add(1, new KeyValuePair<string, object?>("pipeline", handler.Pipeline));
            LogDeadLettered(logger, handler.Pipeline, delivery.Properties.MessageId ?? "?", reason);
        }
        // deliveries of one channel arrive in tag order and the batch holds every one in between
        await channel.BasicAckAsync(batch[^1].Tag, multiple: true, ct);
        return true;
    }

    /// <summary>
    /// Applies a batch, waiting out database outages (the batch stays unacknowledged meanwhile). A timeout is an outage
    /// only while the database does not answer: when it answers a ping, the batch itself is what is slow, and after
    /// <paramref name="timeoutsWhileUp"/> such timeouts it fails (split one by one, then dead-lettered with the reason)
    /// instead of holding its queue forever.
    /// </summary>
    private async Task<IReadOnlyList<EventResult>> ApplyWithRetryAsync(List<UserActivityEvent> events, CancellationToken ct, int timeoutsWhileUp = BatchTimeouts)
    {
        if (events.Count == 0) return [];
        var backoff = TimeSpan.FromMilliseconds(200);
        var timeouts = 0;
        while (true)
        {
            try
            {
                return await handler.ApplyAsync(events, ct);
            }
            catch (Exception ex) when (IsTransient(ex) && !ct.IsCancellationRequested)
            {
                if (IsTimeout(ex) && await DatabaseAnswersAsync(ct) && ++timeouts >= timeoutsWhileUp)
                    throw new TimeoutException($"timed out {timeouts} times while the database answered: {ex.Message}", ex);
                LogDatabaseAway(logger, handler.Pipeline, backoff.TotalSeconds, ex.Message);
                await Task.Delay(backoff, ct);
                backoff = TimeSpan.FromTicks(Math.Min(TimeSpan.FromSeconds(5).Ticks, backoff.Ticks * 2));
            }
        }
    }

    private async Task<IReadOnlyList<EventResult>> ApplyOneByOneAsync(List<UserActivityEvent> events, CancellationToken ct)
    {
        var results = new List<EventResult>(events.Count);
        foreach (var e in events)
        {
            EventResult? result = null;
            string reason = "";
            for (var attempt = 1; attempt <= AttemptsPerMessage && result is null; attempt++)
            {
                try
                {
                    result = (await ApplyWithRetryAsync([e], ct, timeoutsWhileUp: 1))[0];
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    reason = $"failed {attempt} times: {ex.GetType().Name}: {ex.Message}";
                }
            }
            results.Add(result ?? new EventResult(EventOutcome.Rejected, reason));
        }
        return results;
    }

    private async Task DeadLetterAsync(IChannel deadLetters, Delivery delivery, string reason, CancellationToken ct)
    {
        var headers = new Dictionary<string, object?>(delivery.Properties.Headers ?? new Dictionary<string, object?>())
        {
            [EventTopology.DeathReasonHeader] = reason.Length > 500 ? reason[..500] : reason,
            [EventTopology.SourceQueueHeader] = handler.Queue,
        };
        var properties = new BasicProperties
        {
            Persistent = true,
            MessageId = delivery.Properties.MessageId,
            ContentType = delivery.Properties.ContentType,
            Type = delivery.Properties.Type,
            Headers = headers,
        };
        await deadLetters.BasicPublishAsync(EventTopology.DeadLetterExchange, handler.Queue, mandatory: true, properties, delivery.Body, ct);
    }

    private static Activity? StartBatchActivity(Delivery first, int count)
    {
        // continue the trace of the (first) event: API request → outbox publish → this consume
        ActivityContext parent = default;
        if (first.Properties.Headers?.TryGetValue(EventTopology.TraceParentHeader, out var tp) == true && tp is byte[] bytes)
        {
            string? state = first.Properties.Headers.TryGetValue(EventTopology.TraceStateHeader, out var ts) && ts is byte[] s ? Encoding.UTF8.GetString(s) : null;
            ActivityContext.TryParse(Encoding.UTF8.GetString(bytes), state, out parent);
        }
        var activity = CarRecommenderMetrics.ActivitySource.StartActivity("pipeline process", ActivityKind.Consumer, parent);
        activity?.SetTag("messaging.system", "rabbitmq");
        activity?.SetTag("messaging.batch.message_count", count);
        return activity;
    }

    /// <summary>Whether the database answers a trivial query within a few seconds.</summary>
    private async Task<bool> DatabaseAnswersAsync(CancellationToken ct)
    {
        try
        {
            await using var cmd = services.GetRequiredService<NpgsqlDataSource>().CreateCommand("SELECT 1");
            cmd.CommandTimeout = 5;
            await cmd.ExecuteScalarAsync(ct);
            return true;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>A command that ran out of time (Npgsql's command timeout, or the server's statement timeout).</summary>
    public static bool IsTimeout(Exception ex) => ex switch
    {
        TimeoutException => true,
        PostgresException { SqlState: PostgresErrorCodes.QueryCanceled } => true,
        _ => ex.InnerException is { } inner && IsTimeout(inner),
    };

    public static bool IsTransient(Exception ex) => ex switch
    {
        NpgsqlException { IsTransient: true } => true,
        NpgsqlException { InnerException: System.Net.Sockets.SocketException or IOException or TimeoutException } => true,
        TimeoutException or System.Net.Sockets.SocketException => true,
        _ => ex.InnerException is { } inner && IsTransient(inner),
    };

    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "{Pipeline} pipeline consuming {Queue}")]
    private static partial void LogConsuming(ILogger logger, string pipeline, string queue);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning, Message = "{Pipeline} consumer down, reconnecting in {Seconds} s: {Error}: {Message}")]
    private static partial void LogConsumerDown(ILogger logger, string pipeline, double seconds, string error, string message);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Warning, Message = "{Pipeline}: database unavailable, retrying the batch in {Seconds} s: {Message}")]
    private static partial void LogDatabaseAway(ILogger logger, string pipeline, double seconds, string message);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Warning, Message = "{Pipeline}: batch of {Count} failed ({Message}); applying one by one")]
    private static partial void LogBatchFailed(ILogger logger, string pipeline, int count, string message);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Warning, Message = "{Pipeline}: dead-lettered message {MessageId}: {Reason}")]
    private static partial void LogDeadLettered(ILogger logger, string pipeline, string messageId, string reason);
}
