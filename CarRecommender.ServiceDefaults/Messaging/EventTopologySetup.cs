using System.Text;
using CarRecommender.Core.Events;
using RabbitMQ.Client;

namespace CarRecommender.Messaging;

/// <summary>
/// Declares the event flow's exchanges and queues (idempotent; the API and the worker both call it, so neither depends
/// on the other having started first and no published message finds an unbound exchange).
/// </summary>
public static class EventTopologySetup
{
    public static async Task DeclareAsync(IConnection connection, IChannel channel, CancellationToken ct)
    {
        await channel.ExchangeDeclareAsync(EventTopology.Exchange, ExchangeType.Topic, durable: true, autoDelete: false, cancellationToken: ct);
        await channel.ExchangeDeclareAsync(EventTopology.DeadLetterExchange, ExchangeType.Direct, durable: true, autoDelete: false, cancellationToken: ct);
        var deadLetterArguments = DeadLetterQueueArguments(BrokerMajorVersion(connection));
        foreach (var queue in EventTopology.PipelineQueues)
        {
            var dead = EventTopology.DeadLetterQueue(queue);
            await channel.QueueDeclareAsync(dead, durable: true, exclusive: false, autoDelete: false, arguments: deadLetterArguments, cancellationToken: ct);
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

    /// <summary>
    /// The dead-letter queues' arguments: quorum queues with no delivery limit, so a dead letter survives any number of
    /// looks and returns. RabbitMQ 4 gives every quorum queue a delivery limit of 20 unless told otherwise (-1 says
    /// unlimited there), and each peek of the admin page counts as a delivery, so without it the 20th look dropped the
    /// message. RabbitMQ 3 has no default limit and refuses -1, so there the argument is left out.
    /// </summary>
    public static Dictionary<string, object?> DeadLetterQueueArguments(int brokerMajorVersion)
    {
        var arguments = new Dictionary<string, object?> { ["x-queue-type"] = "quorum" };
        if (brokerMajorVersion >= 4) arguments["x-delivery-limit"] = -1;
        return arguments;
    }

    /// <summary>The broker's major version from its connection properties (3 when it does not say: the cautious reading).</summary>
    public static int BrokerMajorVersion(IConnection connection)
    {
        var version = connection.ServerProperties?.TryGetValue("version", out var v) == true
            ? v switch { byte[] bytes => Encoding.UTF8.GetString(bytes), string s => s, _ => null }
            : null;
        return version is not null && int.TryParse(version.Split('.')[0], out var major) ? major : 3;
    }
}
