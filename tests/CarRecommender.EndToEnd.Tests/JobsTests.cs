using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using CarRecommender.Contracts;
using RabbitMQ.Client;

namespace CarRecommender.EndToEnd.Tests;

/// <summary>
/// Operators' jobs through the API: asked for with POST /api/admin/jobs, run by the worker (the console has no database
/// of its own any more), followed with GET until they end; one of a kind at a time; a stale one does not block; an
/// unreadable command is dead-lettered.
/// </summary>
[Collection(AppCollection.Name)]
public sealed partial class JobsTests(AppFixture fixture)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(4);

    [Fact]
    public async Task A_retrain_job_runs_in_the_worker_and_names_the_new_model_version()
    {
        using var admin = fixture.Api(fixture.AdminToken);
        var cs = await fixture.ConnectionStringAsync("carrecommender");

        var job = await RunToEndAsync(admin, JobKinds.Retrain);

        Assert.True(job.State == JobStates.Done, $"{job.State}: {job.Error}");
        Assert.Equal(100, job.Percent);
        Assert.Equal(AppFixture.AdminEmail, job.RequestedBy);
        Assert.NotNull(job.StartedAt);
        Assert.True(job.FinishedAt >= job.StartedAt);
        var model = long.Parse(ModelId().Match(job.Result ?? "").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal("admin", await Db.ScalarAsync<string>(cs, "SELECT trigger FROM model_versions WHERE id = $1", model));
        var newest = await admin.GetFromJsonAsync<List<ModelVersionDto>>("/api/admin/models?limit=1", Json);
        Assert.Equal(model, Assert.Single(newest!).Id);
        var latest = await admin.GetFromJsonAsync<List<JobDto>>("/api/admin/jobs?kind=retrain&limit=1", Json);
        Assert.Equal(job.Id, Assert.Single(latest!).Id);
        Report.Line($"jobs: retrain through the worker → {job.Result}, {(job.FinishedAt - job.StartedAt)?.TotalSeconds:0.0} s");
    }

    [Fact]
    public async Task An_evaluation_job_ends_with_rows_for_popularity_als_and_the_hybrid_even_after_a_worker_died_on_the_last_one()
    {
        using var admin = fixture.Api(fixture.AdminToken);
        var cs = await fixture.ConnectionStringAsync("carrecommender");
        await WaitUntilIdleAsync(admin, JobKinds.Evaluate);
        // a job left running by a worker that died (its row silent for 10 minutes) must not block the next one: asked for
        // at once, without waiting for it, the new job is accepted
        var orphan = await Db.ScalarAsync<long>(cs, """
            INSERT INTO jobs (kind, state, stage, percent, requested_by, created_at, started_at, updated_at)
            VALUES ('evaluate', 'running', 'training', 30, 'e2e', now() - interval '11 minutes', now() - interval '11 minutes', now() - interval '10 minutes')
            RETURNING id
            """);

        using var accepted = await admin.PostAsJsonAsync("/api/admin/jobs", new { kind = "evaluate" });
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        var job = await WaitForEndAsync(admin, (await accepted.Content.ReadFromJsonAsync<JobDto>(Json))!.Id);

        Assert.True(job.State == JobStates.Done, $"{job.State}: {job.Error}");
        Assert.NotEqual(orphan, job.Id);
        Assert.Equal("failed", await Db.ScalarAsync<string>(cs, "SELECT state FROM jobs WHERE id = $1", orphan));
        Assert.StartsWith("no word from the worker", await Db.ScalarAsync<string>(cs, "SELECT error FROM jobs WHERE id = $1", orphan), StringComparison.Ordinal);
        var rows = job.Evaluation ?? [];
        foreach (var name in new[] { "most-popular", "ALS", "hybrid" })
            Assert.Contains(rows, r => r.Recommender == name);
        Assert.All(rows, r => Assert.InRange(r.Ndcg, 0, 1));
        Assert.Contains(rows, r => r.Ndcg > 0);
        Assert.Contains("held-out pairs", job.Result, StringComparison.Ordinal);
        Report.Line($"jobs: evaluation through the worker → {string.Join(", ", rows.Select(r => $"{r.Recommender} NDCG@10 {r.Ndcg:0.0000}"))}");
    }

    [Fact]
    public async Task A_second_retrain_while_one_is_queued_or_running_is_refused_with_409()
    {
        using var admin = fixture.Api(fixture.AdminToken);
        for (var attempt = 0; ; attempt++)
        {
            await WaitUntilIdleAsync(admin, JobKinds.Retrain);
            using var first = await admin.PostAsJsonAsync("/api/admin/jobs", new { kind = "retrain" });
            Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
            var running = (await first.Content.ReadFromJsonAsync<JobDto>(Json))!;
            Assert.Equal($"/api/admin/jobs/{running.Id}", first.Headers.Location?.OriginalString);

            using var second = await admin.PostAsJsonAsync("/api/admin/jobs", new { kind = "Retrain" });
            if (second.StatusCode == HttpStatusCode.Conflict)
            {
                Assert.Equal("application/problem+json", second.Content.Headers.ContentType?.MediaType);
                var problem = await second.Content.ReadFromJsonAsync<JsonElement>(Json);
                Assert.Equal(409, problem.GetProperty("status").GetInt32());
                Assert.Equal(running.Id, problem.GetProperty("jobId").GetInt64());
                Assert.Contains("retrain", problem.GetProperty("title").GetString(), StringComparison.Ordinal);
                Assert.Single(await ActiveAsync(admin, JobKinds.Retrain));
                await WaitForEndAsync(admin, running.Id);
                return;
            }
            // accepted: only right if the first had already ended in between (a very fast failure); two at once never are
            Assert.Equal(HttpStatusCode.Accepted, second.StatusCode);
            var first2 = await admin.GetFromJsonAsync<JobDto>($"/api/admin/jobs/{running.Id}", Json);
            Assert.False(first2!.Active, "two retrain jobs were accepted while the first was still active");
            Assert.True(attempt < 5, "the first retrain always ended before the second request: the 409 was never exercised");
        }
    }

    [Fact]
    public async Task Job_requests_are_validated_and_an_unreadable_job_command_is_dead_lettered()
    {
        using var admin = fixture.Api(fixture.AdminToken);
        foreach (var body in new[] { "{\"kind\":\"sleep\"}", "{}", "{\"kind\":42}" })
        {
            using var bad = await admin.PostAsync("/api/admin/jobs", new StringContent(body, Encoding.UTF8, "application/json"));
            Assert.True(bad.StatusCode == HttpStatusCode.BadRequest, $"{body}: {(int)bad.StatusCode}");
            Assert.Equal("application/problem+json", bad.Content.Headers.ContentType?.MediaType);
        }
        using (var unknown = await admin.GetAsync("/api/admin/jobs?kind=sleep"))
            Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        using (var missing = await admin.GetAsync("/api/admin/jobs/999999999"))
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);

        var before = await DeadJobsAsync(admin);
        await using (var connection = await new ConnectionFactory { Uri = new Uri(await fixture.ConnectionStringAsync("messaging")) }.CreateConnectionAsync())
        await using (var channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true)))
            await channel.BasicPublishAsync("carrecommender.jobs", "job", mandatory: true, new BasicProperties { Persistent = true }, "{\"jobId\": \"x\""u8.ToArray());
        Assert.True(await Db.EventuallyAsync(async () => await DeadJobsAsync(admin) > before, TimeSpan.FromSeconds(30)),
            "the unreadable job command was not dead-lettered");
        // and the worker goes on consuming the queue
        var queues = await admin.GetFromJsonAsync<List<QueueDepthDto>>("/api/admin/queues", Json);
        Assert.True(queues!.Single(q => q.Queue == "jobs").Consumers >= 1, "nothing consumes the jobs queue any more");
    }

    private static async Task<uint> DeadJobsAsync(HttpClient admin) =>
        (await admin.GetFromJsonAsync<List<QueueDepthDto>>("/api/admin/queues", Json))!.Single(q => q.Queue == "jobs.dead").Messages;

    /// <summary>
    /// Asks for a job and follows it to its end. The worker retrains at start-up, and a retrain asked for meanwhile fails
    /// on the trainer's lock (as the CLI's does): it is asked for again until it gets its turn.
    /// </summary>
    private static async Task<JobDto> RunToEndAsync(HttpClient admin, string kind)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            using var response = await admin.PostAsJsonAsync("/api/admin/jobs", new { kind });
            if (response.StatusCode == HttpStatusCode.Conflict)
            {
                // another test's job of this kind: wait for it, then ask again
                await WaitUntilIdleAsync(admin, kind);
                continue;
            }
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            var job = await WaitForEndAsync(admin, (await response.Content.ReadFromJsonAsync<JobDto>(Json))!.Id);
            if (job.Error?.Contains("another ALS training is running", StringComparison.Ordinal) != true || DateTime.UtcNow > deadline) return job;
        }
    }

    private static async Task<JobDto> WaitForEndAsync(HttpClient admin, long id)
    {
        JobDto? job = null;
        Assert.True(await Db.EventuallyAsync(async () =>
        {
            job = await admin.GetFromJsonAsync<JobDto>($"/api/admin/jobs/{id}", Json);
            return !job!.Active;
        }, Patience), $"job {id} still {job?.State} ({job?.Stage}, {job?.Percent:0} %) after {Patience.TotalMinutes} minutes");
        return job!;
    }

    private static async Task WaitUntilIdleAsync(HttpClient admin, string kind) =>
        Assert.True(await Db.EventuallyAsync(async () => (await ActiveAsync(admin, kind)).Count == 0, Patience), $"a {kind} job stayed active");

    private static async Task<List<JobDto>> ActiveAsync(HttpClient admin, string kind) =>
        (await admin.GetFromJsonAsync<List<JobDto>>($"/api/admin/jobs?kind={kind}&limit=10", Json))!.Where(j => j.Active).ToList();

    [GeneratedRegex(@"^Model (\d+):")]
    private static partial Regex ModelId();
}
