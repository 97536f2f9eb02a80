using System.Diagnostics;
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
/// Consumes one pipeline queue: prefetch-bounded deliveries (each of one event or, from the outbox, up to
/// <see cref="ActivityMessage.MaxEvents"/>) are gathered into batches of events and handed to the pipeline, which applies
/// a batch in one transaction (vectors and processed event ids together); the batch is acknowledged only after that
/// commit. Poison events (unreadable, or refused by the pipeline, e.g. an unknown listing) are republished to the
/// dead-letter exchange, each alone, with the reason in a header, and then acknowledged with their message. While the
/// database is unreachable the batch is retried with back-off and stays unacknowledged, so a restart of either side
/// loses nothing. An event that keeps failing in another way is retried a few times, then dead-lettered. A redelivered
/// message is applied alone, with its start recorded first (<see cref="DeliveryAttempts"/>), so one that stops the
/// worker every time is found and dead-lettered with that reason, and the healthy messages that were only in flight
/// with it are applied; a message of several events that stopped the worker once is split into a message per event on
/// its queue, so the event that did it is found alone. At shutdown the consumer is cancelled and whatever it holds is
/// returned to the queue at once.
/// </summary>
public sealed partial class PipelineConsumer<THandler>(IServiceProvider services, THandler handler, CarRecommenderMetrics metrics,
    RecommendationRefresher refresher, ILogger<PipelineConsumer<THandler>> logger) : BackgroundService where THandler : IPipelineHandler
{
    /// <summary>Events per transaction, at most (a message is not cut: a batch ends before the message that would pass it).</summary>
    public const int BatchSize = 500;
    /// <summary>
    /// Messages held: two batches of the outbox's full messages (the one being applied and the next) and more, and
    /// batches of single-event messages big enough to keep up. Every held message counts a delivery when the worker stops.
    /// </summary>
    public const ushort Prefetch = 200;
    private const int AttemptsPerMessage = 3;
    /// <summary>Timeouts of a whole batch, while the database answers, before it is split one by one.</summary>
    private const int BatchTimeouts = 3;

    private sealed record Delivery(ulong Tag, byte[] Body, IReadOnlyBasicProperties Properties, bool Redelivered, List<MessagePart> Parts)
    {
        /// <summary>A message of several events (dead-lettered or split one event at a time).</summary>
        public bool Several => Parts.Count > 1;
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Reconnecting.RunAsync(ConsumeAsync,
            (backoff, ex) => LogConsumerDown(logger, handler.Pipeline, backoff.TotalSeconds, ex.GetType().Name, ex.Message), stoppingToken);

    private async Task ConsumeAsync(CancellationToken stoppingToken)
    {
        var connection = services.GetRequiredService<IConnection>();
        await using var channel = await connection.CreateChannelAsync(cancellationToken: stoppingToken);
        await using var deadLetters = await connection.CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), stoppingToken);
        foreach (var notice in await EventTopologySetup.DeclareAsync(connection, stoppingToken)) LogTopology(logger, notice);
        await channel.BasicQosAsync(0, Prefetch, global: false, stoppingToken);

        var inbox = Channel.CreateUnbounded<Delivery>(new UnboundedChannelOptions { SingleReader = true });
        using var closed = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        channel.ChannelShutdownAsync += (_, _) =>
        {
            inbox.Writer.TryComplete();
            return Task.CompletedTask;
        };
        var consumer = new AsyncEventingBasicConsumer(channel);
        ulong lastTag = 0;
        consumer.ReceivedAsync += (_, ea) =>
        {
            // the body buffer is only valid during this callback
            var body = ea.Body.ToArray();
            inbox.Writer.TryWrite(new Delivery(ea.DeliveryTag, body, ea.BasicProperties, ea.Redelivered, ActivityMessage.Parse(body)));
            Volatile.Write(ref lastTag, ea.DeliveryTag);
            return Task.CompletedTask;
        };
        var consumerTag = await channel.BasicConsumeAsync(handler.Queue, autoAck: false, consumer, stoppingToken);
        LogConsuming(logger, handler.Pipeline, handler.Queue);

        var batch = new List<Delivery>(BatchSize);
        try
        {
            while (await inbox.Reader.WaitToReadAsync(stoppingToken))
            {
                batch.Clear();
                // fresh deliveries in batches of up to BatchSize events; a redelivered one alone (ProcessRedeliveredAsync)
                var events = 0;
                while (inbox.Reader.TryPeek(out var next) && (batch.Count == 0 || (!next.Redelivered && events + next.Parts.Count <= BatchSize)))
                {
                    inbox.Reader.TryRead(out var d);
                    batch.Add(d!);
                    events += d!.Parts.Count;
                    if (d.Redelivered) break;
                }
                if (batch.Count == 0) continue;
                var settled = batch is [{ Redelivered: true } single]
                    ? await ProcessRedeliveredAsync(channel, deadLetters, single, stoppingToken)
                    : await ProcessAsync(channel, deadLetters, batch, stoppingToken);
                if (!settled) break;
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        if (stoppingToken.IsCancellationRequested)
        {
            await ReturnUnsettledAsync(channel, consumerTag, Volatile.Read(ref lastTag));
            return;
        }
        throw new InvalidOperationException("the consumer channel closed");
    }

    /// <summary>
    /// At shutdown: no more deliveries, and every held one back to the queue now (a negative acknowledgement, which
    /// RabbitMQ 4.3 and later do not count as a failed delivery), rather than when the connection closes.
    /// </summary>
    private async Task ReturnUnsettledAsync(IChannel channel, string consumerTag, ulong lastTag)
    {
        if (!channel.IsOpen) return;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        try
        {
            await channel.BasicCancelAsync(consumerTag, noWait: false, timeout.Token);
            if (lastTag > 0) await channel.BasicNackAsync(lastTag, multiple: true, requeue: true, timeout.Token);
        }
        catch (Exception ex) when (ex is OperationCanceledException or RabbitMQ.Client.Exceptions.RabbitMQClientException or IOException)
        {
            LogReturnFailed(logger, handler.Pipeline, ex.Message); // closing the channel returns them all the same
        }
    }

    /// <summary>
    /// A redelivered message, applied alone, its start recorded (committed) before: one whose earlier starts on it alone
    /// all ended with the worker gone is dead-lettered instead (<see cref="DeliveryAttempts"/>), and a message of
    /// several events that ended so once is split instead (<see cref="SplitAsync"/>). False when shutting down.
    /// </summary>
    private async Task<bool> ProcessRedeliveredAsync(IChannel channel, IChannel deadLetters, Delivery delivery, CancellationToken ct)
    {
        if (!delivery.Several && delivery.Parts[0].Event is null) return await ProcessAsync(channel, deadLetters, [delivery], ct);
        var key = delivery.Several ? AttemptKey(delivery.Body) : delivery.Parts[0].Event!.EventId;
        var dataSource = services.GetRequiredService<NpgsqlDataSource>();
        int unsettled;
        try
        {
            unsettled = await WithDatabaseRetryAsync(() => DeliveryAttempts.BeginAsync(dataSource, handler.Pipeline, key, ct), ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return false;
        }
        var settled = false;
        try
        {
            if (delivery.Several && unsettled > 0)
            {
                await SplitAsync(deadLetters, delivery, ct);
                await channel.BasicAckAsync(delivery.Tag, multiple: false, ct);
                settled = true;
            }
            else if (unsettled >= DeliveryAttempts.MaxUnsettled)
            {
                await DeadLetterAsync(deadLetters, delivery, delivery.Parts[0], $"the worker stopped during each of {unsettled} attempts to apply it alone", ct);
                metrics.EventsDeadLettered.Add(1, new KeyValuePair<string, object?>("pipeline", handler.Pipeline));
                LogDeadLettered(logger, handler.Pipeline, delivery.Properties.MessageId ?? "?", "it stopped the worker");
                await channel.BasicAckAsync(delivery.Tag, multiple: false, ct);
                settled = true;
            }
            else
            {
                settled = await ProcessAsync(channel, deadLetters, [delivery], ct);
            }
            if (settled) await WithDatabaseRetryAsync(() => DeliveryAttempts.SettledAsync(dataSource, handler.Pipeline, key, ct), ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        if (!settled)
        {
            // a shutdown is not the message's fault (if the record cannot be taken back, the message has one start more against it)
            try
            {
                await DeliveryAttempts.InterruptedAsync(dataSource, handler.Pipeline, key, CancellationToken.None);
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
            {
                LogReturnFailed(logger, handler.Pipeline, ex.Message);
            }
        }
        return settled;
    }

    /// <summary>The attempt record's key of a several-event message: its body's hash, the same on every redelivery.</summary>
    private static Guid AttemptKey(byte[] body) => new(System.Security.Cryptography.SHA256.HashData(body).AsSpan(0, 16));

    /// <summary>
    /// Puts each event of a message that stopped the worker back on this pipeline's queue as a message of its own, each
    /// confirmed before the message is acknowledged (a crash in between only repeats events, which the pipeline absorbs).
    /// </summary>
    private async Task SplitAsync(IChannel publisher, Delivery delivery, CancellationToken ct)
    {
        var confirms = delivery.Parts.Select(part => publisher.BasicPublishAsync("", handler.Queue, mandatory: true,
            DeadLetterMessages.PartOf(delivery.Properties, part.Event), part.Json, ct)).ToList();
        foreach (var confirm in confirms) await confirm;
        LogSplit(logger, handler.Pipeline, delivery.Properties.MessageId ?? "?", delivery.Parts.Count);
    }

    /// <summary>Settles a batch: true when every delivery was acknowledged.</summary>
    private async Task<bool> ProcessAsync(IChannel channel, IChannel deadLetters, List<Delivery> batch, CancellationToken ct)
    {
        var events = new List<(Delivery Delivery, MessagePart Part)>(batch.Count);
        var dead = new List<(Delivery Delivery, MessagePart Part, string Reason)>();
        foreach (var d in batch)
            foreach (var part in d.Parts)
            {
                if (part.Event is null) dead.Add((d, part, part.Error!));
                else events.Add((d, part));
            }

        using var activity = StartBatchActivity(events.Count > 0 ? events[0].Delivery : batch[0], events.Count + dead.Count);
        IReadOnlyList<EventResult> results;
        try
        {
            results = await ApplyWithRetryAsync(events.Select(x => x.Part.Event!).ToList(), ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return false;
        }
        catch (Exception ex)
        {
            // not the database being away: find the culprit(s) one by one
            LogBatchFailed(logger, handler.Pipeline, batch.Count, ex.Message);
            results = await ApplyOneByOneAsync(events.Select(x => x.Part.Event!).ToList(), ct);
        }

        var now = DateTimeOffset.UtcNow;
        for (var i = 0; i < events.Count; i++)
        {
            var (delivery, part) = events[i];
            var e = part.Event!;
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
                    dead.Add((delivery, part, results[i].Reason ?? "rejected"));
                    break;
            }
        }

        foreach (var (delivery, part, reason) in dead)
        {
            await DeadLetterAsync(deadLetters, delivery, part, reason, ct);
            metrics.EventsDeadLettered.Add(1, new KeyValuePair<string, object?>("pipeline", handler.Pipeline));
            LogDeadLettered(logger, handler.Pipeline, part.Event?.EventId.ToString() ?? delivery.Properties.MessageId ?? "?", reason);
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
    private async Task<IReadOnlyList<EventResult>> ApplyWithRetryAsync(List<UserActivityEvent> events, CancellationToken ct, int timeoutsWhileUp = BatchTimeouts) =>
        events.Count == 0 ? [] : await WithDatabaseRetryAsync(() => handler.ApplyAsync(events, ct), ct, timeoutsWhileUp);

    private async Task WithDatabaseRetryAsync(Func<Task> work, CancellationToken ct) =>
        await WithDatabaseRetryAsync(async () => { await work(); return true; }, ct);

    /// <summary>Runs <paramref name="work"/> until it succeeds, waiting out database outages (see <see cref="ApplyWithRetryAsync"/>).</summary>
    private async Task<T> WithDatabaseRetryAsync<T>(Func<Task<T>> work, CancellationToken ct, int timeoutsWhileUp = BatchTimeouts)
    {
        var backoff = TimeSpan.FromMilliseconds(200);
        var timeouts = 0;
        while (true)
        {
            try
            {
                return await work();
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

    /// <summary>One event (or unreadable part) to the dead-letter exchange: a single-event message as it came, a part of several alone.</summary>
    private async Task DeadLetterAsync(IChannel deadLetters, Delivery delivery, MessagePart part, string reason, CancellationToken ct) =>
        await deadLetters.BasicPublishAsync(EventTopology.DeadLetterExchange, handler.Queue, mandatory: true,
            DeadLetterMessages.DeadLettered(delivery.Several ? DeadLetterMessages.PartOf(delivery.Properties, part.Event) : delivery.Properties, reason,
                handler.Queue),
            delivery.Several ? part.Json : delivery.Body, ct);

    private static Activity? StartBatchActivity(Delivery first, int count)
    {
        // continue the trace of the (first) event: API request → outbox publish → this consume
        var parent = MessageTracing.Extract(first.Properties.Headers);
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

    [LoggerMessage(EventId = 3006, Level = LogLevel.Warning, Message = "Event topology: {Notice}")]
    private static partial void LogTopology(ILogger logger, string notice);

    [LoggerMessage(EventId = 3008, Level = LogLevel.Warning, Message = "{Pipeline}: message {MessageId} stopped the worker; its {Count} events go back to the queue a message each")]
    private static partial void LogSplit(ILogger logger, string pipeline, string messageId, int count);

    [LoggerMessage(EventId = 3007, Level = LogLevel.Information, Message = "{Pipeline}: returning held deliveries at shutdown failed ({Message}); the channel's close returns them")]
    private static partial void LogReturnFailed(ILogger logger, string pipeline, string message);
}
