using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;
using RabbitMQ.Client;

namespace CarRecommender.EndToEnd.Tests;

/// <summary>
/// Redelivered events on a worker of the test's own (the AppHost's is down meanwhile): healthy events held by a worker
/// that is stopped again and again are all applied, and one that stops the worker every time is told apart from them
/// and dead-lettered with that reason.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class RedeliveryTests(AppFixture fixture)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);
    private static readonly string[] Queues = Core.Events.EventTopology.PipelineQueues;

    [Fact]
    public async Task Healthy_events_held_by_a_worker_stopped_six_times_during_a_backlog_are_all_applied_and_none_dead_lettered()
    {
        var cs = await fixture.ConnectionStringAsync("carrecommender");
        var messaging = await fixture.ConnectionStringAsync("messaging");
        await KillAppWorkerAsync(messaging);
        try
        {
            var eventIds = await PostBacklogAsync(cs, fixture.ShopperTokens[13].Token, healthy: 1_000);
            // the outbox publishes them many to a message (one confirm and one queue write for up to 100 events)
            await using (var connection = await new ConnectionFactory { Uri = new Uri(messaging) }.CreateConnectionAsync())
            await using (var channel = await connection.CreateChannelAsync())
                foreach (var queue in Queues)
                    Assert.InRange((await channel.QueueDeclarePassiveAsync(queue)).MessageCount, 1u, (uint)eventIds.Length / 10);

            // the pipelines cannot commit while the test holds this lock, so each worker holds its whole prefetch in flight
            await using var holder = await Db.OpenAsync(cs);
            await using (var begin = new NpgsqlCommand("BEGIN; LOCK TABLE processed_events IN SHARE MODE", holder)) await begin.ExecuteNonQueryAsync();
            const int stops = 6;
            for (var i = 0; i < stops; i++)
            {
                using var worker = await StartWorkerAsync(cs, messaging);
                Assert.True(await Db.EventuallyAsync(async () => await LockWaitersAsync(cs, holder.ProcessID) >= Queues.Length, Patience),
                    $"every pipeline of worker {i + 1} should be waiting on the held lock (held by {holder.ProcessID}):\n{await ActivityAsync(cs)}\n{worker.Output}");
                worker.Interrupt();
                Assert.Equal(0, await worker.WaitForExitAsync(TimeSpan.FromSeconds(60)));
            }
            await using (var commit = new NpgsqlCommand("COMMIT", holder)) await commit.ExecuteNonQueryAsync();

            using (var last = await StartWorkerAsync(cs, messaging))
            {
                Assert.True(await Db.EventuallyAsync(async () => await Db.ScalarAsync<long>(cs,
                    "SELECT count(*) FROM processed_events WHERE event_id = ANY($1)", eventIds) == eventIds.Length * Queues.Length, Patience),
                    $"every pipeline applies the whole backlog:\n{last.Output}");
                Assert.True(await Db.EventuallyAsync(async () => await UnarchivedAsync(messaging) == 0, Patience), "the worker archives every dead letter");
                last.Interrupt();
                Assert.Equal(0, await last.WaitForExitAsync(TimeSpan.FromSeconds(60)));
            }
            Assert.Equal(0L, await DeadLetteredAsync(cs, null, eventIds));
            Assert.Equal(0L, await Db.ScalarAsync<long>(cs, "SELECT count(*) FROM delivery_attempts WHERE event_id = ANY($1)", eventIds));
            Report.Line($"[redelivery] {eventIds.Length:N0} events held by a worker stopped {stops} times during the backlog (Ctrl+C; broker delivery limit "
                + $"{Core.Events.EventTopology.DeliveryLimit}): "
                + $"{eventIds.Length * Queues.Length:N0} pipeline applications, 0 dead-lettered");
        }
        finally
        {
            await RestartAppWorkerAsync();
        }
    }

    [Fact]
    public async Task An_event_that_stops_the_worker_every_time_is_dead_lettered_with_that_reason_and_the_events_in_flight_with_it_are_applied()
    {
        var cs = await fixture.ConnectionStringAsync("carrecommender");
        var messaging = await fixture.ConnectionStringAsync("messaging");
        var (poisonUser, poisonToken) = fixture.ShopperTokens[8];
        await KillAppWorkerAsync(messaging);
        try
        {
            var healthy = await PostBacklogAsync(cs, fixture.ShopperTokens[13].Token, healthy: 20);
            var poison = (await PostBacklogAsync(cs, poisonToken, healthy: 1))[0];
            var healthyAfter = await PostBacklogAsync(cs, fixture.ShopperTokens[13].Token, healthy: 20);
            healthy = [.. healthy, .. healthyAfter];

            // applying the poison event hangs on this row lock in the two pipelines that write the user (content and
            // collaborative), and the test kills the worker there, as a crash would end it: the event stops the worker
            await using var holder = await Db.OpenAsync(cs);
            await using (var begin = new NpgsqlCommand("BEGIN", holder)) await begin.ExecuteNonQueryAsync();
            await using (var lockRow = new NpgsqlCommand("SELECT 1 FROM users WHERE id = $1 FOR UPDATE", holder))
            {
                lockRow.Parameters.AddWithValue(poisonUser);
                await lockRow.ExecuteNonQueryAsync();
            }
            var writers = new[] { Core.Events.EventTopology.ContentQueue, Core.Events.EventTopology.CollaborativeQueue };
            async Task<int> PendingAsync()
            {
                var pending = 0;
                foreach (var q in writers) if (await DeadLetteredAsync(cs, Core.Events.EventTopology.PipelineOf(q), [poison]) == 0) pending++;
                return pending;
            }
            var crashes = 0;
            while (true)
            {
                var pending = await PendingAsync();
                if (pending == 0) break;
                Assert.True(crashes < 12, $"the poison event should be dead-lettered within 12 crashes; {pending} pipelines still hold it");
                using var worker = await StartWorkerAsync(cs, messaging);
                // until the pipelines still holding the poison event are stuck on it, or one of them dead-letters it
                Assert.True(await Db.EventuallyAsync(async () =>
                {
                    return await PendingAsync() < pending || await LockWaitersAsync(cs, holder.ProcessID, PipelineUserLock) >= pending;
                }, Patience), worker.Output);
                var stuck = await LockWaitersAsync(cs, holder.ProcessID, PipelineUserLock);
                worker.Dispose(); // SIGKILL
                if (stuck > 0) crashes++;
                await EndOrphanedWaitersAsync(cs, holder.ProcessID);
                await NoConsumersAsync(messaging);
            }
            await using (var commit = new NpgsqlCommand("COMMIT", holder)) await commit.ExecuteNonQueryAsync();

            // the healthy events, in flight with the poison one at every crash, are applied by every pipeline; the poison
            // one by the pipeline it does not stop (popularity)
            using (var last = await StartWorkerAsync(cs, messaging))
            {
                Assert.True(await Db.EventuallyAsync(async () => await Db.ScalarAsync<long>(cs,
                    "SELECT count(*) FROM processed_events WHERE event_id = ANY($1)", healthy) == healthy.Length * Queues.Length, Patience), last.Output);
                Assert.True(await Db.EventuallyAsync(async () => await Db.ScalarAsync<long>(cs,
                    "SELECT count(*) FROM processed_events WHERE pipeline = 'popularity' AND event_id = $1", poison) == 1, Patience), last.Output);
                last.Interrupt();
                Assert.Equal(0, await last.WaitForExitAsync(TimeSpan.FromSeconds(60)));
            }
            Assert.Equal(0L, await Db.ScalarAsync<long>(cs,
                "SELECT count(*) FROM processed_events WHERE pipeline <> 'popularity' AND event_id = $1", poison));

            using var admin = fixture.Api(fixture.AdminToken);
            var queues = await admin.GetFromJsonAsync<JsonElement>("/api/admin/dead-letters?peek=200");
            foreach (var pipeline in new[] { "content", "collaborative" })
            {
                var letters = queues.EnumerateArray().Single(q => q.GetProperty("pipeline").GetString() == pipeline).GetProperty("first").EnumerateArray().ToList();
                Assert.DoesNotContain(letters, m => healthy.Contains(Guid.Parse(m.GetProperty("messageId").GetString()!)));
                var letter = Assert.Single(letters, m => m.GetProperty("messageId").GetString() == poison.ToString());
                Assert.Contains($"the worker stopped during each of {Core.Events.DeliveryAttempts.MaxUnsettled} attempts to apply it alone",
                    letter.GetProperty("reason").GetString(), StringComparison.Ordinal);
                using var discard = await admin.PostAsync($"/api/admin/dead-letters/{pipeline}/discard?messageId={poison}", null);
                Assert.Equal(HttpStatusCode.OK, discard.StatusCode);
            }
            Report.Line($"[redelivery] an event that stopped the worker (killed while applying it) {crashes} times: dead-lettered by content and "
                + $"collaborative with the reason, applied by popularity; {healthy.Length} events in flight with it applied by every pipeline, none dead-lettered");
        }
        finally
        {
            await RestartAppWorkerAsync();
        }
    }

    [Fact]
    public async Task A_batch_that_always_times_out_while_the_database_answers_is_split_its_culprit_dead_lettered_and_the_queue_keeps_flowing()
    {
        var cs = await fixture.ConnectionStringAsync("carrecommender");
        var messaging = await fixture.ConnectionStringAsync("messaging");
        var (stuckUser, stuckToken) = fixture.ShopperTokens[9];
        await KillAppWorkerAsync(messaging);
        try
        {
            var healthy = await PostBacklogAsync(cs, fixture.ShopperTokens[13].Token, healthy: 20);
            var stuck = (await PostBacklogAsync(cs, stuckToken, healthy: 1))[0];
            healthy = [.. healthy, .. await PostBacklogAsync(cs, fixture.ShopperTokens[13].Token, healthy: 20)];

            // the content and collaborative pipelines wait on this row lock for as long as the test holds it, so their
            // batch with the stuck event times out every time while the database answers every other query
            await using var holder = await Db.OpenAsync(cs);
            await using (var begin = new NpgsqlCommand("BEGIN", holder)) await begin.ExecuteNonQueryAsync();
            await using (var lockRow = new NpgsqlCommand("SELECT 1 FROM users WHERE id = $1 FOR UPDATE", holder))
            {
                lockRow.Parameters.AddWithValue(stuckUser);
                await lockRow.ExecuteNonQueryAsync();
            }
            using var worker = await ServiceProcess.StartWorkerAsync($"{cs};Command Timeout=3", messaging,
                new Dictionary<string, string?> { ["Als__RetrainMinutes"] = "0" });

            // with the lock still held: the events around the stuck one are applied by every pipeline, and the stuck one
            // is dead-lettered, with the timeout as its reason, by the two pipelines it blocks
            Assert.True(await Db.EventuallyAsync(async () => await Db.ScalarAsync<long>(cs,
                "SELECT count(*) FROM processed_events WHERE event_id = ANY($1)", healthy) == healthy.Length * Queues.Length, Patience), worker.Output);
            var reasons = new Dictionary<string, string>();
            Assert.True(await Db.EventuallyAsync(async () =>
            {
                foreach (var pipeline in new[] { "content", "collaborative" })
                    if (await Db.ScalarAsync<string?>(cs, "SELECT reason FROM dead_letters WHERE pipeline = $1 AND message_id = $2", pipeline, stuck.ToString())
                        is { } reason) reasons[pipeline] = reason;
                return reasons.Count == 2;
            }, Patience), worker.Output);
            Assert.All(reasons.Values, r => Assert.Contains("timed out", r, StringComparison.OrdinalIgnoreCase));
            Assert.Equal(0L, await Db.ScalarAsync<long>(cs,
                "SELECT count(*) FROM processed_events WHERE pipeline <> 'popularity' AND event_id = $1", stuck));
            Assert.Equal(1L, await Db.ScalarAsync<long>(cs,
                "SELECT count(*) FROM processed_events WHERE pipeline = 'popularity' AND event_id = $1", stuck));
            await using (var commit = new NpgsqlCommand("COMMIT", holder)) await commit.ExecuteNonQueryAsync();
            worker.Interrupt();
            Assert.Equal(0, await worker.WaitForExitAsync(TimeSpan.FromSeconds(60)));

            using var admin = fixture.Api(fixture.AdminToken);
            foreach (var pipeline in reasons.Keys)
            {
                using var discard = await admin.PostAsync($"/api/admin/dead-letters/{pipeline}/discard?messageId={stuck}", null);
                Assert.Equal(HttpStatusCode.OK, discard.StatusCode);
            }
            Report.Line($"[stuck batch] a batch timing out (3 s command timeout) on a held row lock while the database answered: split, "
                + $"{healthy.Length} events around the stuck one applied by every pipeline, the stuck one dead-lettered by content and collaborative "
                + $"(\"{reasons["content"]}\")");
        }
        finally
        {
            await RestartAppWorkerAsync();
        }
    }

    /// <summary>Posts <paramref name="healthy"/> views as one user and waits until the outbox has published them all.</summary>
    private async Task<Guid[]> PostBacklogAsync(string cs, string token, int healthy)
    {
        using var api = fixture.Api(token);
        var listings = await Db.ScalarAsync<long[]>(cs, "SELECT array_agg(id) FROM (SELECT id FROM listings WHERE status = 'Active' ORDER BY id LIMIT 100) l");
        var ids = new List<Guid>();
        foreach (var chunk in Enumerable.Range(0, healthy).Chunk(500))
        {
            var batch = chunk.Select(i => new { eventId = Guid.NewGuid(), listingId = listings[i % listings.Length], type = "view" }).ToArray();
            using var response = await api.PostAsJsonAsync("/api/events", batch);
            Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
            ids.AddRange(batch.Select(b => b.eventId));
        }
        var all = ids.ToArray();
        Assert.True(await Db.EventuallyAsync(async () => await Db.ScalarAsync<long>(cs,
            "SELECT count(*) FROM outbox o JOIN interactions i ON i.id = o.interaction_id WHERE i.event_id = ANY($1)", all) == 0, Patience),
            "the outbox should publish the backlog");
        return all;
    }

    /// <summary>Archived dead letters with these message ids (of one pipeline, or of any).</summary>
    private static Task<long> DeadLetteredAsync(string cs, string? pipeline, Guid[] eventIds) => Db.ScalarAsync<long>(cs,
        "SELECT count(*) FROM dead_letters WHERE ($1 = '' OR pipeline = $1) AND message_id = ANY($2)", pipeline ?? "",
        eventIds.Select(e => e.ToString()).ToArray());

    /// <summary>Dead letters still in the dead-letter queues (a worker archives them as they come).</summary>
    private static async Task<long> UnarchivedAsync(string messaging)
    {
        await using var connection = await new ConnectionFactory { Uri = new Uri(messaging) }.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        long waiting = 0;
        foreach (var queue in Queues) waiting += (await channel.QueueDeclarePassiveAsync(Core.Events.EventTopology.DeadLetterQueue(queue))).MessageCount;
        return waiting;
    }

    /// <summary>
    /// The backends waiting, directly or behind another waiter, on a lock the test's connection holds (the start-up
    /// pruner's delete aside): the content and collaborative pipelines lock the same user rows, so one may wait on the other.
    /// </summary>
    private static Task<long> LockWaitersAsync(string cs, int holderPid, string queryLike = "%") => Db.ScalarAsync<long>(cs, Waiting + """
        SELECT count(*) FROM waiting JOIN pg_stat_activity a USING (pid)
        WHERE a.query NOT ILIKE 'DELETE FROM processed_events%' AND a.query LIKE $2
        """, holderPid, queryLike);

    /// <summary>The backends waiting, directly or behind another waiter, on a lock backend $1 holds.</summary>
    private const string Waiting = """
        WITH RECURSIVE waiting(pid) AS (
            SELECT pid FROM pg_stat_activity WHERE $1 = ANY (pg_blocking_pids(pid))
            UNION
            SELECT a.pid FROM pg_stat_activity a JOIN waiting w ON w.pid = ANY (pg_blocking_pids(a.pid)))

        """;

    /// <summary>
    /// Ends the database sessions a killed worker left waiting on the test's lock. PostgreSQL notices a vanished client
    /// only when it next talks to it, so a session blocked on a lock outlives its process for as long as the lock is
    /// held (in production, until TCP keep-alive gives up); left there, it would be counted as the next worker's.
    /// </summary>
    private static async Task EndOrphanedWaitersAsync(string cs, int holderPid)
    {
        // again until none is left: a statement the worker sent just before it died may reach the lock only now
        Assert.True(await Db.EventuallyAsync(async () =>
        {
            await Db.ScalarAsync<long>(cs, Waiting + "SELECT count(pg_terminate_backend(pid)) FROM waiting", holderPid);
            return await Db.ScalarAsync<long>(cs, Waiting + "SELECT count(*) FROM waiting", holderPid) == 0;
        }, Patience),
            $"the killed worker's sessions should end:\n{await ActivityAsync(cs)}");
    }

    /// <summary>The statement with which the content and collaborative pipelines lock a batch's users (the worker's list refresher may wait too).</summary>
    private const string PipelineUserLock = "SELECT id%FROM users WHERE id = ANY($1) ORDER BY id FOR NO KEY UPDATE%";

    private static Task<string> ActivityAsync(string cs) => Db.ScalarAsync<string>(cs, """
        SELECT string_agg(format('%s %s %s %s: %s', pid, state, wait_event_type, pg_blocking_pids(pid), left(query, 80)), E'\n')
        FROM pg_stat_activity WHERE datname = current_database()
        """);

    private static Task<ServiceProcess> StartWorkerAsync(string cs, string messaging) =>
        ServiceProcess.StartWorkerAsync(cs, messaging, new Dictionary<string, string?> { ["Als__RetrainMinutes"] = "0" });

    /// <summary>Kills the AppHost's worker and waits until the broker has seen its consumers go.</summary>
    private async Task KillAppWorkerAsync(string messaging)
    {
        await fixture.KillResourceAsync("pipelines");
        await NoConsumersAsync(messaging);
    }

    private static async Task NoConsumersAsync(string messaging)
    {
        await using var connection = await new ConnectionFactory { Uri = new Uri(messaging) }.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        var consumers = new Dictionary<string, uint>();
        Assert.True(await Db.EventuallyAsync(async () =>
        {
            foreach (var queue in Queues) consumers[queue] = (await channel.QueueDeclarePassiveAsync(queue)).ConsumerCount;
            return consumers.Values.All(c => c == 0);
        }, Patience), $"no worker should consume the pipeline queues: {string.Join(", ", consumers.Select(c => $"{c.Key} {c.Value}"))}");
    }

    private async Task RestartAppWorkerAsync()
    {
        await fixture.App.ResourceCommands.ExecuteCommandAsync("pipelines", Aspire.Hosting.ApplicationModel.KnownResourceCommands.StartCommand);
        await fixture.App.ResourceNotifications.WaitForResourceHealthyAsync("pipelines");
    }
}
