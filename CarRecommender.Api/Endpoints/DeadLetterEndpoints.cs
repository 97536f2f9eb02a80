using System.Globalization;
using System.Text;
using CarRecommender.Api.Auth;
using CarRecommender.Core.Events;
using Microsoft.AspNetCore.Http.HttpResults;
using RabbitMQ.Client;

namespace CarRecommender.Api.Endpoints;

/// <summary>A dead-lettered message as an operator sees it.</summary>
public sealed record DeadLetterDto(string? MessageId, string? Reason, string? SourceQueue, int Requeued, string Body);

/// <summary>One pipeline's dead-letter queue: its depth and the first messages in it.</summary>
public sealed record DeadLetterQueueDto(string Pipeline, string Queue, long Messages, IReadOnlyList<DeadLetterDto> First);

/// <summary>What a requeue or discard did.</summary>
public sealed record DeadLetterActionDto(string Pipeline, string Action, int Messages);

/// <summary>
/// The pipelines' dead-letter queues for operators (the admin console uses these): look at what failed and why,
/// send messages back to their pipeline after fixing the cause, or discard them. A message is acknowledged on the
/// dead-letter queue only after RabbitMQ confirmed its republication, so a requeue never loses one.
/// </summary>
public static class DeadLetterEndpoints
{
    public const string RequeueCountHeader = "x-requeue-count";
    private const int MaxBatch = 10_000;

    public static IEndpointRouteBuilder MapDeadLetterEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/admin/dead-letters").WithTags("Admin").RequireAuthorization(AuthSetup.AdminPolicy);
        group.MapGet("/", List).WithName("ListDeadLetters")
            .WithSummary("Each pipeline's dead-letter queue: depth and the first messages with the reason they failed (admin only)");
        group.MapPost("/{pipeline}/requeue", Requeue).WithName("RequeueDeadLetters")
            .WithSummary("Send dead-lettered messages (all, up to max, or one messageId) back to their pipeline (admin only)");
        group.MapPost("/{pipeline}/discard", Discard).WithName("DiscardDeadLetters")
            .WithSummary("Drop dead-lettered messages (all, up to max, or one messageId) (admin only)");
        return app;
    }

    private static async Task<Results<Ok<List<DeadLetterQueueDto>>, ValidationProblem>> List(string? peek, IConnection connection, CancellationToken ct)
    {
        var n = 20;
        if (peek is not null && (!int.TryParse(peek, NumberStyles.None, CultureInfo.InvariantCulture, out n) || n > 200))
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["peek"] = ["peek must be a whole number from 0 to 200."] });
        var result = new List<DeadLetterQueueDto>();
        foreach (var queue in EventTopology.PipelineQueues)
        {
            // a channel of its own: closing it returns the peeked (unacknowledged) messages to the queue
            await using var channel = await connection.CreateChannelAsync(cancellationToken: ct);
            var dead = EventTopology.DeadLetterQueue(queue);
            var depth = (await channel.QueueDeclarePassiveAsync(dead, ct)).MessageCount;
            var first = new List<DeadLetterDto>();
            while (first.Count < n && await channel.BasicGetAsync(dead, autoAck: false, ct) is { } message)
                first.Add(ToDto(message));
            result.Add(new DeadLetterQueueDto(PipelineOf(queue), dead, depth, first));
        }
        return TypedResults.Ok(result);
    }

    private static Task<Results<Ok<DeadLetterActionDto>, ValidationProblem, NotFound>> Requeue(
        string pipeline, string? max, string? messageId, IConnection connection, CancellationToken ct) =>
        MoveAsync(pipeline, max, messageId, requeue: true, connection, ct);

    private static Task<Results<Ok<DeadLetterActionDto>, ValidationProblem, NotFound>> Discard(
        string pipeline, string? max, string? messageId, IConnection connection, CancellationToken ct) =>
        MoveAsync(pipeline, max, messageId, requeue: false, connection, ct);

    private static async Task<Results<Ok<DeadLetterActionDto>, ValidationProblem, NotFound>> MoveAsync(
        string pipeline, string? max, string? messageId, bool requeue, IConnection connection, CancellationToken ct)
    {
        var queue = EventTopology.PipelineQueues.FirstOrDefault(q => PipelineOf(q).Equals(pipeline, StringComparison.OrdinalIgnoreCase));
        if (queue is null) return TypedResults.NotFound();
        var limit = MaxBatch;
        if (max is not null && (!int.TryParse(max, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit < 1 || limit > MaxBatch))
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["max"] = [$"max must be a whole number from 1 to {MaxBatch}."] });
        if (messageId is { Length: > 200 })
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["messageId"] = ["messageId is longer than 200 characters."] });

        // A message another call has just peeked (on a channel it closed) goes back to a quorum queue asynchronously:
        // when one message is asked for by id and not seen yet, look again for a few seconds.
        var moved = 0;
        for (var attempt = 0; ; attempt++)
        {
            moved = await MoveOnceAsync(connection, queue, limit, messageId, requeue, ct);
            if (moved > 0 || messageId is null || attempt == 10) break;
            await Task.Delay(300, ct);
        }
        return TypedResults.Ok(new DeadLetterActionDto(PipelineOf(queue), requeue ? "requeued" : "discarded", moved));
    }

    private static async Task<int> MoveOnceAsync(IConnection connection, string queue, int limit, string? messageId, bool requeue, CancellationToken ct)
    {
        var dead = EventTopology.DeadLetterQueue(queue);
        await using var channel = await connection.CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), ct);
        var depth = (await channel.QueueDeclarePassiveAsync(dead, ct)).MessageCount;
        var moved = 0;
        // each message at most once per call: those not matching messageId go back when the channel closes
        for (var seen = 0L; seen < depth && moved < limit && await channel.BasicGetAsync(dead, autoAck: false, ct) is { } message; seen++)
        {
            if (messageId is not null && message.BasicProperties.MessageId != messageId) continue;
            if (requeue)
            {
                var headers = new Dictionary<string, object?>(message.BasicProperties.Headers ?? new Dictionary<string, object?>());
                headers[RequeueCountHeader] = RequeueCount(message.BasicProperties) + 1;
                var properties = new BasicProperties
                {
                    Persistent = true,
                    MessageId = message.BasicProperties.MessageId,
                    ContentType = message.BasicProperties.ContentType,
                    Type = message.BasicProperties.Type,
                    Headers = headers,
                };
                // straight to the pipeline's queue (default exchange), not to every pipeline through the topic exchange
                await channel.BasicPublishAsync("", queue, mandatory: true, properties, message.Body, ct);
            }
            await channel.BasicAckAsync(message.DeliveryTag, multiple: false, ct);
            moved++;
        }
        return moved;
    }

    private static string PipelineOf(string queue) => queue.StartsWith("pipeline.", StringComparison.Ordinal) ? queue["pipeline.".Length..] : queue;

    private static int RequeueCount(IReadOnlyBasicProperties properties) =>
        properties.Headers?.TryGetValue(RequeueCountHeader, out var value) == true ? Convert.ToInt32(value, CultureInfo.InvariantCulture) : 0;

    private static DeadLetterDto ToDto(BasicGetResult message)
    {
        string? Header(string name) => message.BasicProperties.Headers?.TryGetValue(name, out var v) == true
            ? v switch { byte[] bytes => Encoding.UTF8.GetString(bytes), null => null, _ => v.ToString() }
            : null;
        var body = Encoding.UTF8.GetString(message.Body.Span);
        return new DeadLetterDto(message.BasicProperties.MessageId, Header(EventTopology.DeathReasonHeader), Header(EventTopology.SourceQueueHeader),
            RequeueCount(message.BasicProperties), body.Length > 2000 ? body[..2000] + "…" : body);
    }
}
