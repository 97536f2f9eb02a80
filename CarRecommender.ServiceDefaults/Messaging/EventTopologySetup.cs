using CarRecommender.Core.Events;
using RabbitMQ.Client;

namespace CarRecommender.Messaging;

/// <summary>
/// Declares the event flow's exchanges and queues (idempotent; the API and the worker both call it, so neither depends
/// on the other having started first and no published message finds an unbound exchange).
/// </summary>
public static class EventTopologySetup
{
    public static async Task DeclareAsync(IChannel channel, CancellationToken ct)
    {
        await channel.ExchangeDeclareAsync(EventTopology.Exchange, ExchangeType.Topic, durable: true, autoDelete: false, cancellationToken: ct);
        await channel.ExchangeDeclareAsync(EventTopology.DeadLetterExchange, ExchangeType.Direct, durable: true, autoDelete: false, cancellationToken: ct);
        foreach (var queue in EventTopology.PipelineQueues)
        {
            var dead = EventTopology.DeadLetterQueue(queue);
            await channel.QueueDeclareAsync(dead, durable: true, exclusive: false, autoDelete: false,
                arguments: new Dictionary<string, object?> { ["x-queue-type"] = "quorum" }, cancellationToken: ct);
            await channel.QueueBindAsync(dead, EventTopology.DeadLetterExchange, routingKey: queue, cancellationToken: ct);

            // quorum queues: replicated when clustered, and they count deliveries, so a message the worker keeps failing
            // on is dead-lettered by the broker after DeliveryLimit attempts
            await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false,
                arguments: new Dictionary<string, object?>
                {
                    ["x-queue-type"] = "quorum",
                    ["x-dead-letter-exchange"] = EventTopology.DeadLetterExchange,
                    ["x-dead-letter-routing-key"] = queue,
                    ["x-delivery-limit"] = EventTopology.DeliveryLimit,
                }, cancellationToken: ct);
            await channel.QueueBindAsync(queue, EventTopology.Exchange, EventTopology.AllActivity, cancellationToken: ct);
        }
    }
}
