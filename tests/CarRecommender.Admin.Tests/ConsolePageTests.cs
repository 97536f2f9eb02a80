using System.Net;
using Bunit;
using CarRecommender.Admin.Components.Pages;
using CarRecommender.Contracts;

namespace CarRecommender.Admin.Tests;

/// <summary>Pages against a fake API: what they ask for (with the operator's token) and how they show the answers.</summary>
public sealed class ConsolePageTests : MudContext
{
    private readonly FakeApi _api = new();

    public ConsolePageTests() => FakeApi.SignInAndUse(this, _api);

    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;

    [Fact]
    public void The_users_grid_shows_the_page_the_api_answers_with_and_asks_with_the_operators_token()
    {
        _api.Respond = (method, path) => path.StartsWith("/api/admin/users?", StringComparison.Ordinal)
            ? FakeApi.Json(new UserPageDto([new UserSummaryDto(7, "ada@example.com", "Ada", "User", "Berlin", 12, true, Now)], 1, 25, 1))
            : new HttpResponseMessage(HttpStatusCode.NotFound);

        var cut = Render<Users>();

        cut.WaitForAssertion(() => Assert.Contains("ada@example.com", cut.Find("[data-testid=users-grid]").TextContent, StringComparison.Ordinal));
        var request = Assert.Single(_api.Requests);
        Assert.Equal("/api/admin/users?page=1&pageSize=25", request.PathAndQuery);
        Assert.Equal(FakeApi.Token, request.Token);
    }

    [Fact]
    public void A_retrain_asked_for_on_the_pipelines_page_shows_the_workers_progress_then_its_result_and_the_new_model()
    {
        JobDto? retrain = null;
        List<ModelVersionDto> models = [];
        _api.Respond = (method, path) => (method.Method, path) switch
        {
            ("POST", "/api/admin/jobs") => FakeApi.Json(retrain = Job(1, JobKinds.Retrain, JobStates.Queued, "waiting for the worker", 0), HttpStatusCode.Accepted),
            ("GET", "/api/admin/jobs?kind=retrain&limit=1") => FakeApi.Json(retrain is null ? new List<JobDto>() : [retrain]),
            ("GET", "/api/admin/jobs?kind=evaluate&limit=1") => FakeApi.Json(new List<JobDto>()),
            ("GET", "/api/admin/models?limit=10") => FakeApi.Json(models),
            ("GET", "/api/admin/queues") => FakeApi.Json(new List<QueueDepthDto> { new("jobs", 0, 1) }),
            ("GET", "/api/admin/dead-letters?peek=20") => FakeApi.Json(new List<DeadLetterQueueDto>()),
            _ => new HttpResponseMessage(HttpStatusCode.NotFound),
        };
        var cut = Render<Pipelines>();
        cut.WaitForAssertion(() => Assert.Contains("jobs", cut.Find("[data-testid=queues]").TextContent, StringComparison.Ordinal));
        Assert.Empty(cut.FindAll("[data-testid=training-job]"));

        cut.Find("#retrain").Click();
        cut.WaitForAssertion(() => Assert.Equal("true", cut.Find("[data-testid=training-job]").GetAttribute("data-running")));
        Assert.Contains(_api.Requests, r => r.Method == HttpMethod.Post && r.PathAndQuery == "/api/admin/jobs" && r.Token == FakeApi.Token);

        // the worker takes it and reports progress: the page polls the job and shows it
        retrain = retrain! with { State = JobStates.Running, Stage = "training", Percent = 40, StartedAt = Now };
        cut.WaitForAssertion(() => Assert.Contains("training (40 %)", cut.Find("[data-testid=training-job]").TextContent, StringComparison.Ordinal),
            TimeSpan.FromSeconds(5));
        Assert.NotNull(cut.Find("#retrain").GetAttribute("disabled"));

        // it finishes with a new model version: the result shows, and the model list is read again
        models = [Model(7)];
        retrain = retrain with { State = JobStates.Done, Stage = "done", Percent = 100, Result = "Model 7: 10 users × 20 listings", FinishedAt = Now.AddSeconds(3) };
        cut.WaitForAssertion(() =>
        {
            Assert.Equal("false", cut.Find("[data-testid=training-job]").GetAttribute("data-running"));
            Assert.Contains("Model 7: 10 users × 20 listings (3.0 s)", cut.Find("[data-testid=training-job] .mud-alert").TextContent, StringComparison.Ordinal);
            Assert.Equal("7", cut.Find("[data-testid=models] tbody tr td").TextContent);
        }, TimeSpan.FromSeconds(5));
        Assert.Null(cut.Find("#retrain").GetAttribute("disabled"));
    }

    [Fact]
    public void A_finished_evaluation_shows_its_rows_and_a_failed_one_its_error()
    {
        JobDto evaluation = Job(3, JobKinds.Evaluate, JobStates.Done, "done", 100) with
        {
            Result = "2 users × 3 listings",
            Evaluation = [new("most popular", 0.1, 0.2, 0.3, 0.4, 0.5), new("ALS", 0.2, 0.3, 0.4, 0.5, 0.6), new("hybrid", 0.3, 0.4, 0.5, 0.6, 0.7)],
        };
        _api.Respond = (method, path) => path switch
        {
            "/api/admin/jobs?kind=evaluate&limit=1" => FakeApi.Json(new List<JobDto> { evaluation }),
            "/api/admin/jobs?kind=retrain&limit=1" => FakeApi.Json(new List<JobDto>
            {
                Job(2, JobKinds.Retrain, JobStates.Failed, "failed", 0) with { Error = "another ALS training is running", FinishedAt = Now },
            }),
            "/api/admin/models?limit=10" or "/api/admin/queues" or "/api/admin/dead-letters?peek=20" => FakeApi.Json(Array.Empty<object>()),
            _ => new HttpResponseMessage(HttpStatusCode.NotFound),
        };

        var cut = Render<Pipelines>();

        cut.WaitForAssertion(() => Assert.Equal(3, cut.FindAll("[data-testid=evaluation] tbody tr").Count));
        Assert.StartsWith("ALS", cut.FindAll("[data-testid=evaluation] tbody tr")[1].TextContent.Trim(), StringComparison.Ordinal);
        Assert.Contains("another ALS training is running", cut.Find("[data-testid=training-job] .mud-alert").TextContent, StringComparison.Ordinal);
        Assert.Empty(cut.FindAll("[data-testid=backend-error]"));
    }

    private static JobDto Job(long id, string kind, string state, string stage, double percent) =>
        new(id, kind, state, stage, percent, null, null, null, "admin@example.com", Now, null, null, Now);

    private static ModelVersionDto Model(long id) =>
        new(id, Now, 64, 15, 0.1, 40, 10, 20, 100, 3000, 2000, 0.5, [1.0, 0.7, 0.5], 0, "admin");
}
