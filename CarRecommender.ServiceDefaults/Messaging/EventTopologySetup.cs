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
    /// <summary>
    /// Declares everything on a channel of its own (a refused declaration closes its channel), and returns what the
    /// caller should log: a queue an earlier version declared with other arguments is used as it is, with a notice,
    /// rather than stopping the service (RabbitMQ cannot change a queue's arguments; delete the drained queue to take
    /// the new ones).
    /// </summary>
    public static async Task<IReadOnlyList<string>> DeclareAsync(IConnection connection, CancellationToken ct)
    {
        var notices = new List<string>();
        var channel = await connection.CreateChannelAsync(cancellationToken: ct);
        try
        {
            await channel.ExchangeDeclareAsync(EventTopology.Exchange, ExchangeType.Topic, durable: true, autoDelete: false, cancellationToken: ct);
            await channel.ExchangeDeclareAsync(EventTopology.DeadLetterExchange, ExchangeType.Direct, durable: true, autoDelete: false, cancellationToken: ct);
            var deadLetterArguments = DeadLetterQueueArguments(BrokerMajorVersion(connection));
            foreach (var queue in EventTopology.PipelineQueues)
            {
                var dead = EventTopology.DeadLetterQueue(queue);
                channel = await DeclareQueueAsync(connection, channel, dead, deadLetterArguments, notices, ct);
                await channel.QueueBindAsync(dead, EventTopology.DeadLetterExchange, routingKey: queue, cancellationToken: ct);

                // quorum queues: replicated when clustered, and they count deliveries, so a message that crashes the worker
                // before it can say why is still dead-lettered by the broker after DeliveryLimit deliveries
                channel = await DeclareQueueAsync(connection, channel, queue, new Dictionary<string, object?>
                {
                    ["x-queue-type"] = "quorum",
                    ["x-dead-letter-exchange"] = EventTopology.DeadLetterExchange,
                    ["x-dead-letter-routing-key"] = queue,
                    ["x-delivery-limit"] = EventTopology.DeliveryLimit,
                }, notices, ct);
                await channel.QueueBindAsync(queue, EventTopology.Exchange, EventTopology.AllActivity, cancellationToken: ct);
            }

            // listing changes (imports): their own exchange and quorum queue, and a dead-letter queue for a batch that
            // keeps failing (the worker rejects what it cannot read; the broker's limit catches one that stops it)
            channel = await DeclareWorkQueueAsync(connection, channel, ListingTopology.Exchange, ListingTopology.DeadLetterExchange, ListingTopology.Queue,
                ListingTopology.DeadLetterQueue, ListingTopology.RoutingKey, deadLetterArguments, notices, ct);
            // operators' jobs (retrain, evaluate) the same way: a command the worker cannot read is rejected into jobs.dead
            channel = await DeclareWorkQueueAsync(connection, channel, JobTopology.Exchange, JobTopology.DeadLetterExchange, JobTopology.Queue,
                JobTopology.DeadLetterQueue, JobTopology.RoutingKey, deadLetterArguments, notices, ct);
        }
        finally
        {
            await channel.DisposeAsync();
        }
        return notices;
    }

    /// <summary>
    /// A flow of its own beside the activity events: a durable exchange and quorum queue bound by one routing key, whose
    /// rejected messages (and those past the broker's delivery limit) go through a dead-letter exchange to a dead-letter queue.
    /// </summary>
    private static async Task<IChannel> DeclareWorkQueueAsync(IConnection connection, IChannel channel, string exchange, string deadLetterExchange,
        string queue, string deadLetterQueue, string routingKey, Dictionary<string, object?> deadLetterArguments, List<string> notices, CancellationToken ct)
    {
        await channel.ExchangeDeclareAsync(exchange, ExchangeType.Topic, durable: true, autoDelete: false, cancellationToken: ct);
        await channel.ExchangeDeclareAsync(deadLetterExchange, ExchangeType.Direct, durable: true, autoDelete: false, cancellationToken: ct);
        channel = await DeclareQueueAsync(connection, channel, deadLetterQueue, deadLetterArguments, notices, ct);
        await channel.QueueBindAsync(deadLetterQueue, deadLetterExchange, queue, cancellationToken: ct);
        channel = await DeclareQueueAsync(connection, channel, queue, new Dictionary<string, object?>
        {
            ["x-queue-type"] = "quorum",
            ["x-dead-letter-exchange"] = deadLetterExchange,
            ["x-dead-letter-routing-key"] = queue,
            ["x-delivery-limit"] = EventTopology.DeliveryLimit,
        }, notices, ct);
        await channel.QueueBindAsync(queue, exchange, routingKey, cancellationToken: ct);
        return channel;
    }

    /// <summary>Declares a queue; one that exists with other arguments is kept (checked passively on a new channel) with a notice.</summary>
    private static async Task<IChannel> DeclareQueueAsync(IConnection connection, IChannel channel, string queue, Dictionary<string, object?> arguments,
        List<string> notices, CancellationToken ct)
    {
        try
        {
            await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false, arguments: arguments, cancellationToken: ct);
            return channel;
        }
        catch (RabbitMQ.Client.Exceptions.OperationInterruptedException ex) when (ex.ShutdownReason?.ReplyCode == 406)
        {
            await channel.DisposeAsync();
            var fresh = await connection.CreateChannelAsync(cancellationToken: ct);
            await fresh.QueueDeclarePassiveAsync(queue, ct);
            notices.Add($"queue {queue} exists with arguments an earlier version declared ({ex.ShutdownReason.ReplyText}); "
                + "using it as it is: delete it once drained to take the current ones");
            return fresh;
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
