using CarRecommender.Core.Events;
using CarRecommender.Messaging;
using Npgsql;
using RabbitMQ.Client;

namespace CarRecommender.Api.Outbox;

/// <summary>
/// Publishes the listings' outbox (<c>listing_changes</c>, written by imports in their transaction) to the listings
/// exchange: up to <see cref="ListingTopology.BatchSize"/> changes per persistent message, with publisher confirms; the
/// rows are deleted only in the transaction that commits after RabbitMQ confirmed. Rows are locked with SKIP LOCKED
/// (replicas share the work); when RabbitMQ or Postgres is away the rows wait. A crash between confirm and commit
/// publishes a batch twice, which the worker's handling absorbs (a second refresh of the same lists).
/// </summary>
public sealed partial class ListingChangeDispatcher(IServiceProvider services, NpgsqlDataSource dataSource, ILogger<ListingChangeDispatcher> logger)
    : BackgroundService
{
    private static readonly TimeSpan IdleWait = TimeSpan.FromSeconds(1);

    // resolved in the loop, not injected: the connection is made on first resolve, and RabbitMQ may be down at start-up
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => PublishLoop.RunAsync(
        ct => PublishLoop.OpenConfirmingChannelAsync(services.GetRequiredService<IConnection>(), _ => { }, ct),
        async (channel, ct) => await DispatchBatchAsync(channel, ct) == ListingTopology.BatchSize,
        ct => Task.Delay(IdleWait, ct),
        (backoff, ex) => LogRetry(logger, backoff.TotalSeconds, ex.GetType().Name, ex.Message),
        stoppingToken);

    private async Task<int> DispatchBatchAsync(IChannel channel, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var batch = new List<ListingChangeEvent>();
        await using (var select = new NpgsqlCommand("""
            SELECT id, listing_id, kind, price, previous_price, occurred_at FROM listing_changes
            ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED
            """, conn, tx))
        {
            select.Parameters.AddWithValue(ListingTopology.BatchSize);
            await using var reader = await select.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
                batch.Add(new ListingChangeEvent(reader.GetInt64(0), reader.GetInt64(1), Enum.Parse<ListingChangeKind>(reader.GetString(2)),
                    reader.GetInt32(3), reader.IsDBNull(4) ? null : reader.GetInt32(4), reader.GetFieldValue<DateTimeOffset>(5)));
        }
        if (batch.Count == 0) return 0;

        var properties = new BasicProperties
        {
            Persistent = true,
            MessageId = $"listing-changes-{batch[0].ChangeId}-{batch[^1].ChangeId}",
            ContentType = "application/json",
            Type = "listing.changes",
            Headers = new Dictionary<string, object?> { [EventTopology.ContractHeader] = ListingChangeEvent.ContractVersion },
        };
        // completes when RabbitMQ confirmed; throws on nack or return
        await channel.BasicPublishAsync(ListingTopology.Exchange, ListingTopology.RoutingKey, mandatory: true, properties, ListingChangeEvent.ToJson(batch), ct);
        await using (var delete = new NpgsqlCommand("DELETE FROM listing_changes WHERE id = ANY($1)", conn, tx))
        {
            delete.Parameters.AddWithValue(batch.Select(b => b.ChangeId).ToArray());
            await delete.ExecuteNonQueryAsync(ct);
        }
        await tx.CommitAsync(ct);
        LogPublished(logger, batch.Count);
        return batch.Count;
    }

    [LoggerMessage(EventId = 2101, Level = LogLevel.Information, Message = "Published {Count} listing changes")]
    private static partial void LogPublished(ILogger logger, int count);

    [LoggerMessage(EventId = 2102, Level = LogLevel.Warning, Message = "Listing-change dispatch paused, retrying in {Seconds} s: {Error}: {Message}")]
    private static partial void LogRetry(ILogger logger, double seconds, string error, string message);
}
