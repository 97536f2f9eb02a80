using CarRecommender.Core.Events;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace CarRecommender.Admin.Data;

public sealed record QueueState(string Queue, uint Messages, uint Consumers);

/// <summary>Depths and consumers of the pipelines' queues and dead-letter queues (passive declares, nothing consumed).</summary>
public sealed class QueueStats(IConnection connection)
{
    public async Task<List<QueueState>> GetAsync(CancellationToken ct)
    {
        var result = new List<QueueState>();
        foreach (var queue in EventTopology.PipelineQueues.SelectMany(q => new[] { q, EventTopology.DeadLetterQueue(q) }))
        {
            // a passive declare of a missing queue closes its channel, so one channel per queue
            await using var channel = await connection.CreateChannelAsync(cancellationToken: ct);
            try
            {
                var ok = await channel.QueueDeclarePassiveAsync(queue, ct);
                result.Add(new QueueState(queue, ok.MessageCount, ok.ConsumerCount));
            }
            catch (OperationInterruptedException)
            {
                result.Add(new QueueState(queue + " (not declared yet)", 0, 0));
            }
        }
        return result;
    }
}
