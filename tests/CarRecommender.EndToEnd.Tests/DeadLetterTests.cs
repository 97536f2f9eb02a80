using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using RabbitMQ.Client;

namespace CarRecommender.EndToEnd.Tests;

/// <summary>Dead-lettered messages through the admin API: listed with their reason, requeued to their pipeline, discarded.</summary>
[Collection(AppCollection.Name)]
public sealed class DeadLetterTests(AppFixture fixture)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private sealed record DeadLetter(string? MessageId, string? Reason, string? SourceQueue, int Requeued, string Body, int Occurrences,
        DateTimeOffset FirstDeadLetteredAt, DateTimeOffset LastDeadLetteredAt);
    private sealed record DeadLetterQueue(string Pipeline, string Queue, long Messages, List<DeadLetter> First, long Unarchived);
    private sealed record Outcome(string Pipeline, string Action, int Messages);

    private async Task PublishRawAsync(byte[] body, string messageId)
    {
        await using var connection = await new ConnectionFactory { Uri = new Uri(await fixture.ConnectionStringAsync("messaging")) }.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true));
        await channel.BasicPublishAsync("carrecommender.activity", "activity.view", mandatory: true,
            new BasicProperties { Persistent = true, MessageId = messageId }, body);
    }

    private static async Task<DeadLetter?> FindAsync(HttpClient admin, string pipeline, string messageId)
    {
        var queues = await admin.GetFromJsonAsync<List<DeadLetterQueue>>("/api/admin/dead-letters?peek=200", Json);
        return queues!.Single(q => q.Pipeline == pipeline).First.FirstOrDefault(m => m.MessageId == messageId);
    }

    [Fact]
    public async Task Dead_letters_are_listed_with_their_reason_requeued_through_their_pipeline_and_discarded()
    {
        using var admin = fixture.Api(fixture.AdminToken);
        var poison = "poison-" + Guid.NewGuid().ToString("N");
        await PublishRawAsync(Encoding.UTF8.GetBytes("{\"eventId\": 42, not json"), poison);

        DeadLetter? found = null;
        Assert.True(await Db.EventuallyAsync(async () => (found = await FindAsync(admin, "content", poison)) is not null, Patience),
            "the malformed message should reach the content dead-letter queue");
        Assert.Contains("malformed JSON", found!.Reason, StringComparison.Ordinal);
        Assert.Equal("pipeline.content", found.SourceQueue);
        Assert.Equal(0, found.Requeued);
        Assert.StartsWith("{\"eventId\": 42", found.Body, StringComparison.Ordinal);

        // requeue: back through the content pipeline only, which dead-letters it again (the cause is still there)
        var requeued = await (await admin.PostAsync($"/api/admin/dead-letters/content/requeue?messageId={poison}", null)).Content.ReadFromJsonAsync<Outcome>(Json);
        Assert.Equal(1, requeued!.Messages);
        Assert.True(await Db.EventuallyAsync(async () => (await FindAsync(admin, "content", poison))?.Requeued == 1, Patience),
            "the requeued message should have gone through the pipeline and come back with its requeue count");

        // discard: gone from every pipeline's queue
        foreach (var pipeline in new[] { "content", "collaborative", "popularity" })
        {
            Assert.True(await Db.EventuallyAsync(async () => await FindAsync(admin, pipeline, poison) is not null, Patience));
            var discarded = await (await admin.PostAsync($"/api/admin/dead-letters/{pipeline}/discard?messageId={poison}", null))
                .Content.ReadFromJsonAsync<Outcome>(Json);
            Assert.Equal(1, discarded!.Messages);
            Assert.Null(await FindAsync(admin, pipeline, poison));
        }

        Assert.Equal(HttpStatusCode.NotFound, (await admin.PostAsync("/api/admin/dead-letters/nope/requeue", null)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.PostAsync("/api/admin/dead-letters/content/discard?max=0", null)).StatusCode);
        using var user = fixture.Api(fixture.OtherUserToken);
        Assert.Equal(HttpStatusCode.Forbidden, (await user.GetAsync("/api/admin/dead-letters")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await user.PostAsync("/api/admin/dead-letters/content/discard", null)).StatusCode);
    }

    [Fact]
    public async Task Dead_letter_queues_have_no_delivery_limit_and_a_dead_letter_survives_25_looks()
    {
        // RabbitMQ 4 gives a quorum queue a delivery limit of 20 unless it is declared with -1 (unlimited); RabbitMQ 3 has
        // no default limit and refuses -1. Re-declaring a queue with other arguments fails (406), which tells its arguments.
        await using var connection = await new ConnectionFactory { Uri = new Uri(await fixture.ConnectionStringAsync("messaging")) }.CreateConnectionAsync();
        var version = Encoding.UTF8.GetString((byte[])connection.ServerProperties!["version"]!);
        var major = int.Parse(version.Split('.')[0], System.Globalization.CultureInfo.InvariantCulture);
        foreach (var queue in new[] { "pipeline.content.dead", "pipeline.collaborative.dead", "pipeline.popularity.dead" })
        {
            var unlimited = new Dictionary<string, object?> { ["x-queue-type"] = "quorum" };
            if (major >= 4) unlimited["x-delivery-limit"] = -1;
            await using (var same = await connection.CreateChannelAsync())
                await same.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false, arguments: unlimited);
            await using var other = await connection.CreateChannelAsync();
            var limited = new Dictionary<string, object?>(unlimited) { ["x-delivery-limit"] = 20 };
            var refused = await Assert.ThrowsAnyAsync<RabbitMQ.Client.Exceptions.OperationInterruptedException>(() =>
                other.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false, arguments: limited));
            Assert.Equal((ushort)406, refused.ShutdownReason?.ReplyCode);
        }

        using var admin = fixture.Api(fixture.AdminToken);
        var poison = "looked-at-" + Guid.NewGuid().ToString("N");
        var neighbour = "next-to-it-" + Guid.NewGuid().ToString("N");
        await PublishRawAsync(Encoding.UTF8.GetBytes("not json at all"), poison);
        await PublishRawAsync(Encoding.UTF8.GetBytes("not json either"), neighbour);
        DeadLetter? first = null;
        Assert.True(await Db.EventuallyAsync(async () => (first = await FindAsync(admin, "popularity", poison)) is not null
            && await FindAsync(admin, "popularity", neighbour) is not null, Patience));
        var seen = 1;
        for (var look = 2; look <= 25; look++)
            if (await FindAsync(admin, "popularity", poison) is { } again && again == first) seen++;
        // a per-message action touches that message only: discarding the neighbour leaves this one as it was archived
        var gone = await (await admin.PostAsync($"/api/admin/dead-letters/popularity/discard?messageId={neighbour}", null)).Content.ReadFromJsonAsync<Outcome>(Json);
        Assert.Equal(1, gone!.Messages);
        Assert.Null(await FindAsync(admin, "popularity", neighbour));
        var after = await FindAsync(admin, "popularity", poison);
        Report.Line($"[dead letters] RabbitMQ {version}: dead-letter queues without a delivery limit; one dead letter looked at 25 times, found unchanged "
            + $"{seen} times; discarding its neighbour left it as archived (occurrences {after?.Occurrences})");
        Assert.Equal(25, seen);
        Assert.Equal(first, after);
        Assert.Equal(1, after!.Occurrences);
        var discarded = await (await admin.PostAsync($"/api/admin/dead-letters/popularity/discard?messageId={poison}", null)).Content.ReadFromJsonAsync<Outcome>(Json);
        Assert.Equal(1, discarded!.Messages);
    }
}
