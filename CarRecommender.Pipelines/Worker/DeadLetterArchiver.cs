using System.Threading.Channels;
using CarRecommender.Core.Events;
using CarRecommender.Messaging;
using Npgsql;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace CarRecommender.Pipelines.Worker;

/// <summary>
/// Moves every message of the pipelines' dead-letter queues into the archive (<see cref="DeadLetterArchive"/>), in
/// batches, acknowledging a batch only after its rows are committed: while the database is away the messages wait in
/// their queue, and a crash between commit and acknowledgement archives a message twice (its row counts one occurrence
/// more), never zero times.
/// </summary>
public sealed partial class DeadLetterArchiver(IServiceProvider services, NpgsqlDataSource dataSource, ILogger<DeadLetterArchiver> logger) : BackgroundService
{
    private const ushort Prefetch = 200;

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(EventTopology.PipelineQueues.Select(queue => RunAsync(queue, stoppingToken)));

    private Task RunAsync(string queue, CancellationToken ct) =>
        Reconnecting.RunAsync(c => ArchiveQueueAsync(queue, c),
            (backoff, ex) => LogDown(logger, EventTopology.DeadLetterQueue(queue), backoff.TotalSeconds, ex.Message), ct);

    private async Task ArchiveQueueAsync(string queue, CancellationToken ct)
    {
        var pipeline = EventTopology.PipelineOf(queue);
        var dead = EventTopology.DeadLetterQueue(queue);
        var connection = services.GetRequiredService<IConnection>();
        await using var channel = await connection.CreateChannelAsync(cancellationToken: ct);
        await channel.BasicQosAsync(0, Prefetch, global: false, ct);
        var inbox = Channel.CreateUnbounded<(ulong Tag, DeadLetterEntry Entry)>(new UnboundedChannelOptions { SingleReader = true });
        channel.ChannelShutdownAsync += (_, _) =>
        {
            inbox.Writer.TryComplete();
            return Task.CompletedTask;
        };
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += (_, ea) =>
        {
            inbox.Writer.TryWrite((ea.DeliveryTag, DeadLetterMessages.ToEntry(pipeline, ea.BasicProperties, ea.Body)));
            return Task.CompletedTask;
        };
        await channel.BasicConsumeAsync(dead, autoAck: false, consumer, ct);

        var batch = new List<(ulong Tag, DeadLetterEntry Entry)>(Prefetch);
        while (await inbox.Reader.WaitToReadAsync(ct))
        {
            batch.Clear();
            while (batch.Count < Prefetch && inbox.Reader.TryRead(out var d)) batch.Add(d);
            await ArchiveWithRetryAsync(dead, batch.Select(b => b.Entry).ToList(), ct);
            await channel.BasicAckAsync(batch[^1].Tag, multiple: true, ct);
            LogArchived(logger, batch.Count, dead);
        }
        ct.ThrowIfCancellationRequested();
        throw new InvalidOperationException("the channel closed");
    }

    /// <summary>Archives a batch, retrying (with back-off) until the database takes it; the messages stay unacknowledged meanwhile.</summary>
    private async Task ArchiveWithRetryAsync(string dead, List<DeadLetterEntry> entries, CancellationToken ct)
    {
        var backoff = TimeSpan.FromMilliseconds(200);
        while (true)
        {
            try
            {
                await DeadLetterArchive.ArchiveAsync(dataSource, entries, ct);
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException && !ct.IsCancellationRequested)
            {
                LogRetry(logger, entries.Count, dead, backoff.TotalSeconds, ex.Message);
                await Task.Delay(backoff, ct);
                backoff = TimeSpan.FromTicks(Math.Min(TimeSpan.FromSeconds(5).Ticks, backoff.Ticks * 2));
            }
        }
    }

    [LoggerMessage(EventId = 3201, Level = LogLevel.Information, Message = "archived {Count} dead letters from {Queue}")]
    private static partial void LogArchived(ILogger logger, int count, string queue);

    [LoggerMessage(EventId = 3202, Level = LogLevel.Warning, Message = "archiving {Count} dead letters from {Queue} failed, retrying in {Seconds} s: {Message}")]
    private static partial void LogRetry(ILogger logger, int count, string queue, double seconds, string message);

    [LoggerMessage(EventId = 3203, Level = LogLevel.Warning, Message = "dead-letter archiver of {Queue} down, reconnecting in {Seconds} s: {Message}")]
    private static partial void LogDown(ILogger logger, string queue, double seconds, string message);
}
