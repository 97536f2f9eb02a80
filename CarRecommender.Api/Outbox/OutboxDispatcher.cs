using System.Diagnostics;
using CarRecommender.Core.Domain;
using CarRecommender.Core.Events;
using CarRecommender.Messaging;
using CarRecommender.Telemetry;
using Npgsql;
using NpgsqlTypes;
using RabbitMQ.Client;

namespace CarRecommender.Api.Outbox;

/// <summary>
/// Publishes outbox rows to the activity exchange: persistent messages of up to <see cref="ActivityMessage.MaxEvents"/>
/// events each, on a channel with publisher confirms (a batch's messages are all in flight before the first confirm is
/// awaited), and a row is deleted only in the transaction that commits after RabbitMQ confirmed its message. Rows are locked with
/// SKIP LOCKED, so several API replicas share the work. When RabbitMQ (or Postgres) is down the rows wait and the
/// dispatcher retries with back-off: delivery is delayed, never lost. Loops running side by side may publish one user's
/// events out of order; the pipelines do not depend on order (the content profile decays each event by its own time,
/// the fold-in solves over the whole history). A crash between confirm and commit publishes a
/// row twice, which the pipelines' processed-event ids absorb.
/// </summary>
public sealed partial class OutboxDispatcher(
    IServiceProvider services, NpgsqlDataSource dataSource, OutboxSignal signal, CarRecommenderMetrics metrics,
    ILogger<OutboxDispatcher> logger) : BackgroundService
{
    public const int BatchSize = 1000;
    /// <summary>
    /// Publishing loops, each with its own channel (SKIP LOCKED keeps their batches disjoint). One on this 2-core machine:
    /// with four, end-to-end throughput fell from ≈ 2,300 to ≈ 1,600 events/s because the loops took CPU from the API
    /// and the worker (eng/bench.sh events). Raise it where the broker has cores of its own.
    /// </summary>
    public const int Publishers = 1;
    private static readonly TimeSpan IdleWait = TimeSpan.FromMilliseconds(500);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(Enumerable.Range(0, Publishers).Select(_ => Task.Run(() => PublishLoopAsync(stoppingToken), stoppingToken)));

    // resolved in the loop, not injected: the connection is made on first resolve, and RabbitMQ may be down at start-up
    private Task PublishLoopAsync(CancellationToken stoppingToken) => PublishLoop.RunAsync(
        ct => PublishLoop.OpenConfirmingChannelAsync(services.GetRequiredService<IConnection>(), n => LogTopology(logger, n), ct),
        async (channel, ct) => await DispatchBatchAsync(channel, ct) == BatchSize,
        ct => signal.WaitAsync(IdleWait, ct),
        (backoff, ex) => LogRetry(logger, backoff.TotalSeconds, ex.GetType().Name, ex.Message),
        stoppingToken);

    private sealed record Row(long Id, string? TraceParent, string? TraceState, DateTimeOffset CreatedAt, UserActivityEvent Event);

    private async Task<int> DispatchBatchAsync(IChannel channel, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var rows = await LockBatchAsync(conn, tx, ct);
        metrics.SetOutboxPending(rows.Count);
        if (rows.Count == 0) return 0;

        var confirms = new List<ValueTask>();
        foreach (var message in rows.Chunk(ActivityMessage.MaxEvents)) confirms.Add(PublishAsync(channel, message, ct));
        foreach (var confirm in confirms) await confirm; // each completes when RabbitMQ confirmed; throws on nack or return

        await using (var delete = new NpgsqlCommand("DELETE FROM outbox WHERE id = ANY($1)", conn, tx))
        {
            delete.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.Id).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint });
            await delete.ExecuteNonQueryAsync(ct);
        }
        await tx.CommitAsync(ct);

        var now = DateTimeOffset.UtcNow;
        metrics.EventsPublished.Add(rows.Count);
        foreach (var row in rows) metrics.OutboxLag.Record((now - row.CreatedAt).TotalSeconds);
        return rows.Count;
    }

    private static async Task<List<Row>> LockBatchAsync(NpgsqlConnection conn, NpgsqlTransaction tx, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            SELECT o.id, o.trace_parent, o.trace_state, o.created_at,
                   i.event_id, i.user_id, i.listing_id, i.type, i.occurred_at, i.recorded_at, i.recommendation_id
            FROM outbox o JOIN interactions i ON i.id = o.interaction_id
            ORDER BY o.id
            LIMIT $1
            FOR UPDATE OF o SKIP LOCKED
            """, conn, tx);
        cmd.Parameters.AddWithValue(BatchSize);
        var rows = new List<Row>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var e = new UserActivityEvent(reader.GetGuid(4), reader.GetInt64(5), reader.GetInt64(6), Enum.Parse<InteractionType>(reader.GetString(7)),
                reader.GetFieldValue<DateTimeOffset>(8), reader.GetFieldValue<DateTimeOffset>(9), reader.IsDBNull(10) ? null : reader.GetGuid(10));
            rows.Add(new Row(reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2),
                reader.GetFieldValue<DateTimeOffset>(3), e));
        }
        return rows;
    }

    /// <summary>One message of events (a single event as itself, several as an array: <see cref="ActivityMessage"/>).</summary>
    private static ValueTask PublishAsync(IChannel channel, Row[] rows, CancellationToken ct)
    {
        // continue the first recording request's trace, linked to the others': a producer span per message
        var parent = MessageTracing.FromStored(rows[0].TraceParent, rows[0].TraceState);
        var links = rows.Skip(1).Select(r => MessageTracing.FromStored(r.TraceParent, r.TraceState)).Where(c => c != default)
            .Select(c => new ActivityLink(c)).ToList();
        using var activity = CarRecommenderMetrics.ActivitySource.StartActivity($"{EventTopology.Exchange} publish", ActivityKind.Producer, parent, links: links);
        activity?.SetTag("messaging.system", "rabbitmq");
        activity?.SetTag("messaging.destination.name", EventTopology.Exchange);
        activity?.SetTag("messaging.batch.message_count", rows.Length);

        var single = rows.Length == 1 ? rows[0].Event : null;
        var id = single?.EventId.ToString() ?? $"events-{rows[0].Event.EventId}-{rows.Length}";
        activity?.SetTag("messaging.message.id", id);
        var headers = new Dictionary<string, object?> { [EventTopology.ContractHeader] = UserActivityEvent.ContractVersion };
        if (single is not null) headers[EventTopology.EventIdHeader] = id;
        MessageTracing.Inject(activity?.Context ?? parent, headers);

        var properties = new BasicProperties
        {
            Persistent = true,
            MessageId = id,
            ContentType = "application/json",
            Type = single?.Type.ToString().ToLowerInvariant() ?? "batch",
            Timestamp = new AmqpTimestamp(rows[0].Event.RecordedAt.ToUnixTimeSeconds()),
            Headers = headers,
        };
        return single is not null
            ? channel.BasicPublishAsync(EventTopology.Exchange, EventTopology.RoutingKey(single.Type), mandatory: true, properties, single.ToJson(), ct)
            : channel.BasicPublishAsync(EventTopology.Exchange, EventTopology.BatchRoutingKey, mandatory: true, properties,
                ActivityMessage.ToJson([.. rows.Select(r => r.Event)]), ct);
    }

    [LoggerMessage(EventId = 2001, Level = LogLevel.Warning, Message = "Outbox dispatch paused, retrying in {Seconds} s: {Error}: {Message}")]
    private static partial void LogRetry(ILogger logger, double seconds, string error, string message);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Warning, Message = "Event topology: {Notice}")]
    private static partial void LogTopology(ILogger logger, string notice);
}
