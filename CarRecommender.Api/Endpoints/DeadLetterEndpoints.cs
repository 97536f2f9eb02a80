using System.Globalization;
using System.Text;
using CarRecommender.Api.Auth;
using CarRecommender.Core.Events;
using CarRecommender.Messaging;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using RabbitMQ.Client;

namespace CarRecommender.Api.Endpoints;

/// <summary>
/// The pipelines' dead letters for operators (the admin console uses these): look at what failed and why, send
/// messages back to their pipeline after fixing the cause, or discard them. The worker archives every dead-letter queue
/// into the database (<see cref="DeadLetterArchive"/>), so a look reads rows and changes nothing, however often it is
/// made, and a requeue or discard of one message touches that message only. A requeued row is deleted only after
/// RabbitMQ confirmed its republication, in the same transaction, so a requeue never loses one.
/// </summary>
public static class DeadLetterEndpoints
{
    private const int MaxBatch = 10_000;

    public static IEndpointRouteBuilder MapDeadLetterEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/admin/dead-letters").WithTags("Admin").RequireAuthorization(AuthSetup.AdminPolicy);
        group.MapGet("/", List).WithName("ListDeadLetters")
            .WithSummary("Each pipeline's dead letters: how many, and the newest (or those with one messageId) with the reason they failed (admin only)");
        group.MapPost("/{pipeline}/requeue", Requeue).WithName("RequeueDeadLetters")
            .WithSummary("Send dead-lettered messages (all, up to max, or one messageId) back to their pipeline (admin only)");
        group.MapPost("/{pipeline}/discard", Discard).WithName("DiscardDeadLetters")
            .WithSummary("Drop dead-lettered messages (all, up to max, or one messageId) (admin only)");
        return app;
    }

    private static async Task<Results<Ok<List<DeadLetterQueueDto>>, ValidationProblem>> List(string? peek, string? messageId, NpgsqlDataSource dataSource,
        IConnection connection, CancellationToken ct)
    {
        var n = 20;
        if (peek is not null && (!int.TryParse(peek, NumberStyles.None, CultureInfo.InvariantCulture, out n) || n > 200))
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["peek"] = ["peek must be a whole number from 0 to 200."] });
        if (messageId is { Length: > 200 })
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["messageId"] = ["messageId is longer than 200 characters."] });
        var archived = await DeadLetterArchive.CountsAsync(dataSource, ct);
        var result = new List<DeadLetterQueueDto>();
        foreach (var queue in EventTopology.PipelineQueues)
        {
            var pipeline = EventTopology.PipelineOf(queue);
            var dead = EventTopology.DeadLetterQueue(queue);
            var waiting = await WaitingAsync(connection, dead, ct);
            var first = n == 0 ? [] : await DeadLetterArchive.NewestAsync(dataSource, pipeline, messageId, n, ct);
            result.Add(new DeadLetterQueueDto(pipeline, dead, archived.GetValueOrDefault(pipeline) + waiting, first.Select(ToDto).ToList(), waiting));
        }
        return TypedResults.Ok(result);
    }

    private static Task<Results<Ok<DeadLetterActionDto>, ValidationProblem, NotFound>> Requeue(
        string pipeline, string? max, string? messageId, NpgsqlDataSource dataSource, IConnection connection, CancellationToken ct) =>
        MoveAsync(pipeline, max, messageId, requeue: true, dataSource, connection, ct);

    private static Task<Results<Ok<DeadLetterActionDto>, ValidationProblem, NotFound>> Discard(
        string pipeline, string? max, string? messageId, NpgsqlDataSource dataSource, IConnection connection, CancellationToken ct) =>
        MoveAsync(pipeline, max, messageId, requeue: false, dataSource, connection, ct);

    private static async Task<Results<Ok<DeadLetterActionDto>, ValidationProblem, NotFound>> MoveAsync(
        string pipeline, string? max, string? messageId, bool requeue, NpgsqlDataSource dataSource, IConnection connection, CancellationToken ct)
    {
        var queue = EventTopology.PipelineQueues.FirstOrDefault(q => EventTopology.PipelineOf(q).Equals(pipeline, StringComparison.OrdinalIgnoreCase));
        if (queue is null) return TypedResults.NotFound();
        var limit = MaxBatch;
        if (max is not null && (!int.TryParse(max, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit < 1 || limit > MaxBatch))
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["max"] = [$"max must be a whole number from 1 to {MaxBatch}."] });
        if (messageId is { Length: > 200 })
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["messageId"] = ["messageId is longer than 200 characters."] });

        await using var channel = await connection.CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), ct);
        var moved = await DeadLetterArchive.TakeAsync(dataSource, EventTopology.PipelineOf(queue), messageId, limit, async letter =>
        {
            // straight to the pipeline's queue (default exchange), not to every pipeline through the topic exchange; the
            // publish returns when the broker confirmed it, and a refused one rolls the whole move back
            if (requeue) await channel.BasicPublishAsync("", queue, mandatory: true, DeadLetterMessages.Requeued(letter.Entry), letter.Entry.Body, ct);
        }, ct);
        return TypedResults.Ok(new DeadLetterActionDto(EventTopology.PipelineOf(queue), requeue ? "requeued" : "discarded", moved));
    }

    /// <summary>Messages still in a dead-letter queue (the worker archives them as they come; these wait while it is down).</summary>
    private static async Task<long> WaitingAsync(IConnection connection, string dead, CancellationToken ct)
    {
        await using var channel = await connection.CreateChannelAsync(cancellationToken: ct);
        return (await channel.QueueDeclarePassiveAsync(dead, ct)).MessageCount;
    }

    private static DeadLetterDto ToDto(ArchivedDeadLetter letter)
    {
        var body = Encoding.UTF8.GetString(letter.Entry.Body);
        return new DeadLetterDto(letter.Entry.MessageId, letter.Entry.Reason, letter.Entry.SourceQueue, letter.Entry.Requeued,
            body.Length > 2000 ? body[..2000] + "…" : body, letter.Occurrences, letter.FirstDeadLetteredAt, letter.LastDeadLetteredAt);
    }
}
