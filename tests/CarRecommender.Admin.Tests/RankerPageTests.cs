using System.Net;
using Bunit;
using CarRecommender.Admin.Components.Pages;
using CarRecommender.Contracts;

namespace CarRecommender.Admin.Tests;

/// <summary>The learned ranker's page against a fake API: the serving model, its comparison and importances, click-through, training.</summary>
public sealed class RankerPageTests : MudContext
{
    private readonly FakeApi _api = new();

    public RankerPageTests() => FakeApi.SignInAndUse(this, _api);

    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;

    private static RankerModelDto Model(long id, bool serving, bool wins) => new(id, Now, serving, 420,
        [new("deal-deviation", 0.61), new("blend", 0.25), new("distance-km", 0.14)],
        new RankerComparisonDto(48, wins ? 0.5123 : 0.40, 0.4012, wins ? 0.0031 : 0.61, wins, 0.01, 10));

    private static JobDto Job(string state, string stage, string? result = null) =>
        new(9, JobKinds.TrainRanker, state, stage, 0, result, null, null, "admin@example.com", Now, null, state == JobStates.Done ? Now : null, Now);

    [Fact]
    public void The_page_shows_the_serving_model_its_comparison_importances_and_click_through_by_position()
    {
        _api.Respond = (method, path) => path switch
        {
            "/api/admin/ranker" => FakeApi.Json(new RankerStatusDto(Model(3, true, true), Model(4, false, false))),
            "/api/admin/click-through?days=7" => FakeApi.Json(new ClickThroughDto(7, [new(1, 200, 30, 0.15), new(2, 180, 18, 0.1)])),
            "/api/admin/jobs?kind=train-ranker&limit=1" => FakeApi.Json(new List<JobDto>()),
            _ => new HttpResponseMessage(HttpStatusCode.NotFound),
        };

        var cut = Render<RankerPage>();

        cut.WaitForAssertion(() => Assert.Contains("Model 3", cut.Find("[data-testid=serving]").TextContent, StringComparison.Ordinal));
        var comparison = cut.Find("[data-testid=comparison] tbody tr").TextContent;
        Assert.Contains("48", comparison, StringComparison.Ordinal);
        Assert.Contains("0.5123", comparison, StringComparison.Ordinal);
        Assert.Contains("0.4012", comparison, StringComparison.Ordinal);
        Assert.Contains("0.0031", comparison, StringComparison.Ordinal);
        Assert.Contains("wins", comparison, StringComparison.Ordinal);
        var importances = cut.Find("[data-testid=importances]");
        Assert.StartsWith("deal-deviation", importances.QuerySelector("tbody tr")!.TextContent.Trim(), StringComparison.Ordinal);
        Assert.NotNull(importances.QuerySelector("svg"));
        var positions = cut.FindAll("[data-testid=click-through] tbody tr");
        Assert.Equal(2, positions.Count);
        Assert.Contains("15.0", positions[0].TextContent, StringComparison.Ordinal);
        Assert.All(_api.Requests, r => Assert.Equal(FakeApi.Token, r.Token));
    }

    [Fact]
    public void Without_a_serving_model_the_blend_ranks_and_the_newest_models_loss_is_shown()
    {
        _api.Respond = (method, path) => path switch
        {
            "/api/admin/ranker" => FakeApi.Json(new RankerStatusDto(null, Model(4, false, false))),
            "/api/admin/click-through?days=7" => FakeApi.Json(new ClickThroughDto(7, [])),
            "/api/admin/jobs?kind=train-ranker&limit=1" => FakeApi.Json(new List<JobDto>()),
            _ => new HttpResponseMessage(HttpStatusCode.NotFound),
        };

        var cut = Render<RankerPage>();

        cut.WaitForAssertion(() => Assert.Contains("the blend ranks", cut.Find("[data-testid=serving]").TextContent, StringComparison.Ordinal));
        Assert.Contains("does not win", cut.Find("[data-testid=comparison]").TextContent, StringComparison.Ordinal);
        Assert.Contains("No impressions", cut.Find("[data-testid=click-through]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void Training_asked_for_queues_a_train_ranker_job_and_shows_its_result_then_the_new_model()
    {
        JobDto? job = null;
        var status = new RankerStatusDto(null, null);
        _api.Respond = (method, path) => (method.Method, path) switch
        {
            ("POST", "/api/admin/jobs") => FakeApi.Json(job = Job(JobStates.Queued, "waiting for the worker"), HttpStatusCode.Accepted),
            ("GET", "/api/admin/jobs?kind=train-ranker&limit=1") => FakeApi.Json(job is null ? new List<JobDto>() : [job]),
            ("GET", "/api/admin/ranker") => FakeApi.Json(status),
            ("GET", "/api/admin/click-through?days=7") => FakeApi.Json(new ClickThroughDto(7, [])),
            _ => new HttpResponseMessage(HttpStatusCode.NotFound),
        };
        var cut = Render<RankerPage>();
        cut.WaitForAssertion(() => Assert.Contains("the blend ranks", cut.Find("[data-testid=serving]").TextContent, StringComparison.Ordinal));

        cut.Find("#train-ranker").Click();
        cut.WaitForAssertion(() => Assert.Equal("true", cut.Find("[data-testid=ranker-job]").GetAttribute("data-running")));
        var post = Assert.Single(_api.Requests, r => r.Method == HttpMethod.Post);
        Assert.Contains("\"train-ranker\"", post.Body, StringComparison.Ordinal);

        status = new RankerStatusDto(Model(5, true, true), Model(5, true, true));
        job = Job(JobStates.Done, "done", "Model 5 on 420 lists: it serves.");
        cut.WaitForAssertion(() =>
        {
            Assert.Equal("false", cut.Find("[data-testid=ranker-job]").GetAttribute("data-running"));
            Assert.Contains("Model 5", cut.Find("[data-testid=serving]").TextContent, StringComparison.Ordinal);
        }, TimeSpan.FromSeconds(5));
    }
}
