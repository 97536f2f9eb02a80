using CarRecommender.Core.Events;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace CarRecommender.Api.Admin;

/// <summary>
/// Depths and consumers of the pipelines' queues, the jobs queue and their dead-letter queues (passive declares,
/// nothing consumed).
/// </summary>
public static class QueueDepths
{
    private static readonly string[] Queues =
        [.. EventTopology.PipelineQueues.SelectMany(q => new[] { q, EventTopology.DeadLetterQueue(q) }), JobTopology.Queue, JobTopology.DeadLetterQueue];

    public static async Task<List<QueueDepthDto>> GetAsync(IConnection connection, CancellationToken ct)
    {
        var result = new List<QueueDepthDto>();
        foreach (var queue in Queues)
        {
            // a passive declare of a missing queue closes its channel, so one channel per queue
            await using var channel = await connection.CreateChannelAsync(cancellationToken: ct);
            try
            {
                var ok = await channel.QueueDeclarePassiveAsync(queue, ct);
                result.Add(new QueueDepthDto(queue, ok.MessageCount, ok.ConsumerCount));
            }
            catch (OperationInterruptedException)
            {
                result.Add(new QueueDepthDto(queue, 0, 0, Declared: false));
            }
        }
        return result;
    }
}
