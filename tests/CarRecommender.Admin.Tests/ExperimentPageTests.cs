using System.Globalization;
using System.Net;
using System.Text.Json;
using Bunit;
using CarRecommender.Admin.Components.Pages;
using CarRecommender.Contracts;
using MudBlazor;

namespace CarRecommender.Admin.Tests;

/// <summary>The Experiments page against a fake API: the list, the create form's checks, start and stop, and the results.</summary>
public sealed class ExperimentPageTests : MudContext
{
    private static readonly DateTimeOffset Now = new(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);

    private readonly FakeApi _api = new();
    private readonly List<ExperimentDto> _experiments = [];
    private int _resultReads;

    public ExperimentPageTests()
    {
        FakeApi.SignInAndUse(this, _api);
        _api.Respond = Serve;
    }

    [Fact]
    public void The_page_lists_the_experiments_and_shows_the_running_ones_results_with_intervals_and_significance()
    {
        _experiments.AddRange([Experiment(2, "electric-boost", ExperimentStates.Running), Experiment(1, "diversity", ExperimentStates.Stopped)]);

        var cut = Render<Experiments>();

        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("[data-testid=variant-result]").Count));
        var rows = cut.FindAll("[data-testid=experiment]");
        Assert.Equal(["electric-boost", "diversity"], rows.Select(r => r.GetAttribute("data-name")));
        Assert.Equal("running", rows[0].QuerySelector("[data-testid=state]")!.TextContent.Trim());
        Assert.Contains("mud-chip-color-success", rows[0].QuerySelector("[data-testid=state]")!.ClassName, StringComparison.Ordinal);
        Assert.Contains("control 50 %", Normalised(rows[0].TextContent), StringComparison.Ordinal);
        Assert.Contains("boost 50 %", Normalised(rows[0].TextContent), StringComparison.Ordinal);
        Assert.NotEmpty(rows[0].QuerySelectorAll("[data-testid=stop]"));
        Assert.Empty(rows[1].QuerySelectorAll("[data-testid=stop], [data-testid=start]"));

        // the running experiment's results: counts, rates with their 95 % intervals, the control marked, p against it
        Assert.Equal("2", cut.Find("[data-testid=experiment-results]").GetAttribute("data-id"));
        var control = cut.Find("[data-variant=control]");
        var boost = cut.Find("[data-variant=boost]");
        Assert.NotNull(control.QuerySelector("[data-testid=control]"));
        Assert.Null(boost.QuerySelector("[data-testid=control]"));
        Assert.Equal("4.2 % (3.1–5.6 %)", control.QuerySelector("[data-testid=ctr]")!.TextContent.Trim());
        Assert.Equal("0.30 % (0.10–0.88 %)", control.QuerySelector("[data-testid=contact-rate]")!.TextContent.Trim());
        Assert.Equal("control", control.QuerySelector("[data-testid=ctr-p]")!.TextContent.Trim());
        Assert.Equal("7.1 % (5.6–8.8 %)", boost.QuerySelector("[data-testid=ctr]")!.TextContent.Trim());
        Assert.Equal(N(1000), control.QuerySelectorAll("td")[3].TextContent.Trim());
        // p = 0.004 on click-through is significant at 5 %, p = 0.08 on contacts is not
        Assert.StartsWith("0.004", boost.QuerySelector("[data-testid=ctr-p]")!.TextContent.Trim(), StringComparison.Ordinal);
        Assert.Equal("significant at 5 %", boost.QuerySelector("[data-testid=ctr-p] [data-testid=significant]")!.TextContent.Trim());
        Assert.Equal("0.080", boost.QuerySelector("[data-testid=contact-p]")!.TextContent.Trim());
        Assert.Null(boost.QuerySelector("[data-testid=contact-p] [data-testid=significant]"));
        Assert.NotEmpty(cut.FindAll("[data-testid=ctr-chart] svg"));
        Assert.NotEmpty(cut.FindAll("[data-testid=contact-chart] svg"));
        Assert.Empty(cut.FindAll("[data-testid=backend-error]"));
    }

    [Fact]
    public void The_create_form_refuses_shares_that_do_not_add_up_and_settings_that_are_not_valid_without_calling_the_api()
    {
        var cut = Render<Experiments>();
        cut.WaitForElement("[data-testid=no-experiments]");
        cut.Find("#experiment-name").Change("electric-boost");

        cut.Find("#variant-share-1").Change("30");
        Assert.Contains("80 % of 100 %", cut.Find("[data-testid=share-total]").TextContent, StringComparison.Ordinal);
        cut.Find("#create-experiment").Click();
        Assert.Contains("The shares add up to 80 %, not 100 %.", cut.Find("[data-testid=form-problems]").TextContent, StringComparison.Ordinal);

        cut.Find("#variant-share-1").Change("50");
        cut.Find("#variant-settings-1").Change("""{"ranking": {"lambda": 0.8}""");
        Assert.Contains("Not valid JSON", cut.Markup, StringComparison.Ordinal);
        cut.Find("#create-experiment").Click();
        Assert.Contains("The settings of 'treatment' are not valid", cut.Find("[data-testid=form-problems]").TextContent, StringComparison.Ordinal);
        Assert.DoesNotContain("shares add up", cut.Find("[data-testid=form-problems]").TextContent, StringComparison.Ordinal);

        // JSON the engine would refuse is flagged too, with the engine's own reason
        cut.Find("#variant-settings-1").Change("""{"ranking": {"lambda": 3}}""");
        Assert.Contains("ranking.lambda must be between 0 and 1.", cut.Markup, StringComparison.Ordinal);
        cut.Find("#create-experiment").Click();

        Assert.DoesNotContain(_api.Requests, r => r.Method == HttpMethod.Post);
    }

    [Fact]
    public void Submitting_the_form_posts_the_variants_with_shares_as_fractions_and_settings_as_json_and_lists_the_new_draft()
    {
        var cut = Render<Experiments>();
        cut.WaitForElement("[data-testid=no-experiments]");
        cut.Find("#experiment-name").Change("electric-boost");
        cut.Find("#experiment-description").Change("Do electric cars sell better when lifted?");
        cut.Find("#add-variant").Click();
        cut.Find("#variant-name-1").Change("boost");
        cut.Find("#variant-share-0").Change("50");
        cut.Find("#variant-share-1").Change("30");
        cut.Find("#variant-share-2").Change("20");
        cut.Find("#variant-name-2").Change("fewer per seller");
        cut.Find("#variant-settings-1").Change("""{"rules": {"boosts": [{"when": "car.Fuel == \"Electric\"", "factor": 1.2}]}}""");
        cut.Find("#variant-settings-2").Change("""{"rules": {"maxPerSeller": 2}}""");

        cut.Find("#create-experiment").Click();

        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=experiment]")));
        var post = Assert.Single(_api.Requests, r => r.Method == HttpMethod.Post);
        Assert.Equal("/api/admin/experiments", post.PathAndQuery);
        Assert.Equal(FakeApi.Token, post.Token);
        var sent = JsonSerializer.Deserialize<CreateExperimentDto>(post.Body!, JsonSerializerOptions.Web)!;
        Assert.Equal("electric-boost", sent.Name);
        Assert.Equal("Do electric cars sell better when lifted?", sent.Description);
        Assert.Equal(["control", "boost", "fewer per seller"], sent.Variants.Select(v => v.Name));
        Assert.Equal([0.5, 0.3, 0.2], sent.Variants.Select(v => v.Share));
        Assert.Null(sent.Variants[0].Settings);
        Assert.Equal(1.2, sent.Variants[1].Settings!.Value.GetProperty("rules").GetProperty("boosts")[0].GetProperty("factor").GetDouble());
        Assert.Equal(2, sent.Variants[2].Settings!.Value.GetProperty("rules").GetProperty("maxPerSeller").GetInt32());

        // the draft is listed and shown; the form is empty again
        var row = cut.Find("[data-testid=experiment]");
        Assert.Equal("draft", row.GetAttribute("data-state"));
        Assert.NotEmpty(row.QuerySelectorAll("[data-testid=start]"));
        Assert.Contains("Not started yet", cut.Find("[data-testid=experiment-results]").TextContent, StringComparison.Ordinal);
        Assert.Equal("", cut.Find("#experiment-name").GetAttribute("value") ?? "");
        Assert.Equal(0, _resultReads);
    }

    [Fact]
    public void Start_and_stop_ask_for_confirmation_then_call_the_api_and_show_the_new_state_and_results()
    {
        _experiments.Add(Experiment(3, "electric-boost", ExperimentStates.Draft));
        var dialogs = Render<MudDialogProvider>();
        var cut = Render<Experiments>();
        cut.WaitForElement("[data-testid=start]");

        // cancelled: nothing is sent
        cut.Find("[data-testid=start]").Click();
        Answer(dialogs, "Cancel");
        Assert.DoesNotContain(_api.Requests, r => r.Method == HttpMethod.Post);

        cut.Find("[data-testid=start]").Click();
        Answer(dialogs, "Start");
        cut.WaitForAssertion(() => Assert.Equal("running", cut.Find("[data-testid=experiment]").GetAttribute("data-state")));
        Assert.Contains(_api.Requests, r => r.Method == HttpMethod.Post && r.PathAndQuery == "/api/admin/experiments/3/start" && r.Token == FakeApi.Token);
        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("[data-testid=variant-result]").Count));

        cut.Find("[data-testid=stop]").Click();
        Answer(dialogs, "Stop");
        cut.WaitForAssertion(() => Assert.Equal("stopped", cut.Find("[data-testid=experiment]").GetAttribute("data-state")));
        Assert.Contains(_api.Requests, r => r.Method == HttpMethod.Post && r.PathAndQuery == "/api/admin/experiments/3/stop");
        Assert.Empty(cut.FindAll("[data-testid=start], [data-testid=stop]"));
        Assert.Equal(2, cut.FindAll("[data-testid=variant-result]").Count);
    }

    [Fact]
    public void A_start_the_api_refuses_shows_the_problems_detail()
    {
        _experiments.Add(Experiment(3, "electric-boost", ExperimentStates.Draft));
        var serve = _api.Respond;
        _api.Respond = (method, path) => path == "/api/admin/experiments/3/start"
            ? FakeApi.Json(new
            {
                type = "https://tools.ietf.org/html/rfc9110#section-15.5.10",
                title = "Conflict",
                status = 409,
                detail = "Experiment 'diversity' is running: stop it before starting another."
            }, HttpStatusCode.Conflict)
            : serve(method, path);
        var dialogs = Render<MudDialogProvider>();
        var cut = Render<Experiments>();
        cut.WaitForElement("[data-testid=start]");

        cut.Find("[data-testid=start]").Click();
        Answer(dialogs, "Start");

        cut.WaitForAssertion(() => Assert.Contains("Experiment 'diversity' is running: stop it before starting another.",
            cut.Find("[data-testid=experiment-error]").TextContent, StringComparison.Ordinal));
        Assert.Equal("draft", cut.Find("[data-testid=experiment]").GetAttribute("data-state"));
    }

    [Fact]
    public async Task A_running_experiments_results_are_read_again_while_it_runs()
    {
        _experiments.Add(Experiment(2, "electric-boost", ExperimentStates.Running));

        var cut = Render<Experiments>(p => p.Add(c => c.RefreshEvery, TimeSpan.FromMilliseconds(250)));

        // each read serves the control 10 more lists (1,000 at the first): the later reads show on the page
        await cut.WaitForAssertionAsync(() => Assert.True(long.Parse(ListsServed(cut), NumberStyles.AllowThousands, CultureInfo.CurrentCulture) >= 1020),
            TimeSpan.FromSeconds(10));
    }

    private static string ListsServed(IRenderedComponent<Experiments> cut) => cut.FindAll("[data-variant=control] td")[3].TextContent.Trim();

    private static string N(long value) => value.ToString("N0", CultureInfo.CurrentCulture);

    private static void Answer(IRenderedComponent<MudDialogProvider> dialogs, string button) =>
        dialogs.WaitForAssertion(() => dialogs.FindAll(".mud-dialog button").Single(b => b.TextContent.Trim() == button).Click());

    private static string Normalised(string text) => string.Join(" ", text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));

    /// <summary>The experiment endpoints over <see cref="_experiments"/>, as the contract describes them.</summary>
    private HttpResponseMessage Serve(HttpMethod method, string path)
    {
        lock (_experiments)
        {
            if (method == HttpMethod.Get && path == "/api/admin/experiments") return FakeApi.Json(_experiments.ToList());
            if (method == HttpMethod.Post && path == "/api/admin/experiments")
            {
                var created = Experiment(9, "electric-boost", ExperimentStates.Draft);
                _experiments.Insert(0, created);
                return FakeApi.Json(created, HttpStatusCode.Created);
            }
            var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries); // api admin experiments {id} {verb}
            if (parts is ["api", "admin", "experiments", var idText, var verb] && long.TryParse(idText, out var id)
                && _experiments.FindIndex(e => e.Id == id) is var at and >= 0)
            {
                var e = _experiments[at];
                switch (verb)
                {
                    case "start" when method == HttpMethod.Post:
                        return FakeApi.Json(_experiments[at] = e with { State = ExperimentStates.Running, StartedAt = Now });
                    case "stop" when method == HttpMethod.Post:
                        return FakeApi.Json(_experiments[at] = e with { State = ExperimentStates.Stopped, StoppedAt = Now });
                    case "results" when method == HttpMethod.Get:
                        return FakeApi.Json(Results(e, Interlocked.Increment(ref _resultReads)));
                }
            }
            return new HttpResponseMessage(HttpStatusCode.NotFound);
        }
    }

    private static ExperimentDto Experiment(long id, string name, string state) => new(id, name, "", state,
        [new("control", 0.5, null), new("boost", 0.5, JsonDocument.Parse("""{"rules": {"boosts": [{"when": "car.Fuel == \"Electric\"", "factor": 1.2}]}}""").RootElement)],
        "admin@example.com", Now.AddDays(-1), state == ExperimentStates.Draft ? null : Now.AddHours(-5), state == ExperimentStates.Stopped ? Now : null);

    /// <summary>Results whose control has served 10 more lists at each read (so a refresh shows).</summary>
    private static ExperimentResultsDto Results(ExperimentDto e, int read) => new(e,
    [
        new("control", 0.5, 120, 1000 + 10 * (read - 1), 42, 10, 3, new RateDto(42, 1000, 0.042, 0.031, 0.056), new RateDto(3, 1000, 0.003, 0.001, 0.0088), null, null),
        new("boost", 0.5, 118, 990, 70, 12, 9, new RateDto(70, 990, 0.0707, 0.0563, 0.0884), new RateDto(9, 990, 0.0091, 0.0048, 0.0172), 0.004, 0.08),
    ], Now);
}
