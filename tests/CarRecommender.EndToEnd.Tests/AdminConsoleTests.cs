using System.Diagnostics;
using System.Net.Http.Json;
using Aspire.Hosting.Testing;
using Microsoft.Playwright;

namespace CarRecommender.EndToEnd.Tests;

/// <summary>
/// The admin console driven in a real browser (Debian's Chromium through Playwright) against the running system:
/// sign-in, a user with vector bars and recommendations, a test event that changes the recommendations, every
/// page rendered without an error, and an experiment created, started and stopped on its page. Screenshots (1440×900) go to the test output's screenshots/ folder, and to
/// $CARRECOMMENDER_SCREENSHOTS when set (eng/screenshots.sh uses that for docs/screenshots).
/// </summary>
[Collection(AppCollection.Name)]
public sealed class AdminConsoleTests(AppFixture fixture) : IAsyncLifetime
{
    private static readonly string ChromiumPath = Environment.GetEnvironmentVariable("CHROMIUM_PATH") ?? "/usr/bin/chromium";

    private IPlaywright _playwright = null!;
    private IBrowser _browser = null!;
    private IPage _page = null!;
    private Uri _admin = null!;
    private readonly List<string> _shotDirs = [];

    public async Task InitializeAsync()
    {
        Assert.True(File.Exists(ChromiumPath), $"Chromium is missing at {ChromiumPath}: run eng/install-deps.sh --browser");
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            // no sandbox as root; no background connections (this machine's network is closed)
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync"],
        });
        var context = await _browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1440, Height = 900 } });
        _page = await context.NewPageAsync();
        _page.SetDefaultTimeout(30_000);
        _admin = fixture.App.GetEndpoint("admin", "http");
        _shotDirs.Add(Path.Combine(AppContext.BaseDirectory, "screenshots"));
        if (Environment.GetEnvironmentVariable("CARRECOMMENDER_SCREENSHOTS") is { Length: > 0 } docs) _shotDirs.Add(docs);
        foreach (var dir in _shotDirs) Directory.CreateDirectory(dir);
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null) await _browser.DisposeAsync();
        _playwright?.Dispose();
    }

    [Fact]
    public async Task An_admin_signs_in_opens_a_user_posts_an_event_and_sees_the_recommendations_change()
    {
        var userId = fixture.AdminConsoleUserId;

        // not signed in: the user page sends the browser to the sign-in form, and a wrong password is refused
        await _page.GotoAsync(new Uri(_admin, $"/users/{userId}").ToString());
        Assert.Contains("/login", _page.Url, StringComparison.Ordinal);
        await _page.FillAsync("#email", AppFixture.AdminEmail);
        await _page.FillAsync("#password", "not-the-password");
        await _page.ClickAsync("#sign-in");
        await Assertions.Expect(_page.GetByTestId("login-error")).ToContainTextAsync("do not match");
        // a shopper with the right password is refused too: only Admin-role users get in
        await _page.FillAsync("#email", AppFixture.DemoEmail);
        await _page.FillAsync("#password", AppFixture.AdminPassword);
        await _page.ClickAsync("#sign-in");
        await Assertions.Expect(_page.GetByTestId("login-error")).ToBeVisibleAsync();
        await ShotAsync("login");

        await _page.FillAsync("#email", AppFixture.AdminEmail);
        await _page.FillAsync("#password", AppFixture.AdminPassword);
        await _page.ClickAsync("#sign-in");
        await _page.WaitForURLAsync($"**/users/{userId}");
        await InteractiveAsync();

        // a shopper with no history yet: no taste vector, but a full list of (trending) recommendations
        await Assertions.Expect(_page.GetByTestId("recommendation")).ToHaveCountAsync(10);
        await Assertions.Expect(_page.Locator("[data-testid=content-vector]")).ToHaveCountAsync(0);
        var before = await RecommendedIdsAsync();
        var meta = await _page.GetByTestId("recommendations-meta").InnerTextAsync();

        // save the first recommendation through the form (POST /api/events as this user)
        await _page.ClickAsync("#post-event");
        await Assertions.Expect(_page.GetByTestId("event-result")).ToContainTextAsync("Recommendations updated", new() { Timeout = 30_000 });
        var after = await RecommendedIdsAsync();
        Assert.NotEqual(before, after);
        Assert.NotEqual(meta, await _page.GetByTestId("recommendations-meta").InnerTextAsync());
        Assert.Equal(10, after.Count);

        // once the content pipeline has applied the save (the list may have been refreshed by the collaborative one
        // first), the taste shows as 28 labelled bars and the event is in the timeline
        var bars = _page.Locator("[data-testid=content-vector] [data-testid=bar]");
        // (the interactive render loads the user again after the marker appears: wait for the bars, not just count them)
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            await _page.ReloadAsync();
            await InteractiveAsync();
            try
            {
                await bars.First.WaitForAsync(new() { Timeout = 3_000 });
                break;
            }
            catch (TimeoutException) when (DateTime.UtcNow < deadline)
            {
            }
        }
        await Assertions.Expect(bars).ToHaveCountAsync(28);
        await Assertions.Expect(_page.Locator("[data-testid=content-vector] [data-label=price]")).ToHaveCountAsync(1);
        await Assertions.Expect(_page.GetByTestId("timeline")).ToContainTextAsync("Save");
        await Assertions.Expect(_page.GetByTestId("recommendation")).ToHaveCountAsync(10);
        await ShotAsync("user");

        // every page renders its data without an error message; time to the page's main element is reported
        var listingId = after[0];
        var timings = new List<string>();
        foreach (var (name, path, ready) in new (string, string, string)[]
                 {
                     ("overview", "/", "[data-testid=stat-active]"),
                     ("users", "/users", "[data-testid=users-grid] tbody tr"),
                     ("listings", "/listings", "[data-testid=listings-grid] tbody tr"),
                     ("listing", $"/listings/{listingId}", "[data-testid=similar]"),
                     ("vectors", "/vectors", "[data-testid=vector-plot] svg"),
                     ("pipelines", "/pipelines", "[data-testid=queues] tbody tr"),
                 })
        {
            var sw = Stopwatch.StartNew();
            await _page.GotoAsync(new Uri(_admin, path).ToString());
            await _page.Locator(ready).First.WaitForAsync();
            timings.Add($"{name} {sw.ElapsedMilliseconds} ms");
            Assert.Equal(0, await _page.GetByTestId("backend-error").CountAsync());
            await ShotAsync(name);
        }
        Report.Line("admin console in Chromium: signed in, event → recommendations changed; page ready: " + string.Join(", ", timings));

        // the vector page places the user's taste and recommendations in the plot
        await _page.GotoAsync(new Uri(_admin, "/vectors").ToString());
        await InteractiveAsync();
        await _page.Locator("[data-testid=vector-plot] svg").First.WaitForAsync();
        await _page.FillAsync("#vector-user", userId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await _page.PressAsync("#vector-user", "Tab");
        await _page.GetByText("Show user").ClickAsync();
        await Assertions.Expect(_page.Locator("[data-testid=vector-plot]")).ToContainTextAsync("user's taste");
        await Assertions.Expect(_page.Locator("[data-testid=vector-plot]")).ToContainTextAsync("recommended");
        await ShotAsync("vectors");

        // the model page: an offline evaluation and a retrain, each started by its button, show progress and finish;
        // the retrain adds a model version
        await _page.GotoAsync(new Uri(_admin, "/pipelines").ToString());
        await InteractiveAsync();
        await _page.ClickAsync("#evaluate");
        // the worker retrains at start-up on the seeded history; the console's retrain is refused while that holds the
        // trainer's lock (as the CLI's is, EventTests), so it is started again until it gets its turn
        string job;
        var retrainDeadline = DateTime.UtcNow.AddMinutes(3);
        var trainingJob = _page.GetByTestId("training-job");
        while (true)
        {
            // a start is seen by its new start time: the finished state of the attempt before must not pass for this one's
            var startedBefore = await trainingJob.CountAsync() > 0 ? await trainingJob.GetAttributeAsync("data-started") : null;
            await _page.ClickAsync("#retrain", new() { Timeout = 180_000 }); // disabled while a console retrain runs
            await Assertions.Expect(trainingJob).ToHaveAttributeAsync("data-started",
                new System.Text.RegularExpressions.Regex($"^(?!{System.Text.RegularExpressions.Regex.Escape(startedBefore ?? "")}$).+$"));
            await Assertions.Expect(trainingJob).ToHaveAttributeAsync("data-running", "false", new() { Timeout = 180_000 });
            job = await trainingJob.InnerTextAsync();
            if (!job.Contains("another ALS training is running", StringComparison.Ordinal) || DateTime.UtcNow > retrainDeadline) break;
            await Task.Delay(2_000);
        }
        var model = System.Text.RegularExpressions.Regex.Match(job, @"Model (\d+):").Groups[1].Value;
        Assert.True(model.Length > 0, job);
        await Assertions.Expect(_page.Locator("[data-testid=models] tbody tr").First.Locator("td").First).ToHaveTextAsync(model);
        await Assertions.Expect(_page.GetByTestId("evaluation-job")).ToHaveAttributeAsync("data-running", "false", new() { Timeout = 180_000 });
        var rows = await _page.Locator("[data-testid=evaluation] tbody tr").AllInnerTextsAsync();
        Assert.Contains(rows, r => r.StartsWith("ALS", StringComparison.OrdinalIgnoreCase));
        Assert.True(rows.Count >= 3, string.Join(" | ", rows));
        static string OneLine(string text) => System.Text.RegularExpressions.Regex.Replace(text, @"\s+", " ").Trim();
        Report.Line($"admin console: retrain and offline evaluation from their buttons: {OneLine(await _page.GetByTestId("training-job").InnerTextAsync())}; "
                    + OneLine(await _page.GetByTestId("evaluation-job").InnerTextAsync()));
        await ShotAsync("pipelines");
    }

    [Fact]
    public async Task An_admin_previews_and_imports_a_file_on_the_import_page_and_downloads_its_rejected_lines()
    {
        await _page.GotoAsync(new Uri(_admin, "/imports").ToString());
        await _page.FillAsync("#email", AppFixture.AdminEmail);
        await _page.FillAsync("#password", AppFixture.AdminPassword);
        await _page.ClickAsync("#sign-in");
        await _page.WaitForURLAsync("**/imports");
        await InteractiveAsync();

        // a German export with one row that has no price
        var fixtureFile = CatalogueFixtures.GermanHeaders(rows: 120, seed: 21);
        var name = $"haendler-{Guid.NewGuid():N}"[..20];
        var path = Path.Combine(Path.GetTempPath(), name + ".csv");
        await File.WriteAllTextAsync(path, fixtureFile.Csv + "VW;Polo;03/2019;40.000;;Benzin;Schaltgetriebe;Kleinwagen;95;Privat\n");
        try
        {
            await _page.Locator("[data-testid=import-choose]").SetInputFilesAsync(path);
            await Assertions.Expect(_page.GetByTestId("import-preview")).ToContainTextAsync("Kilometerstand");
            await Assertions.Expect(_page.GetByTestId("import-preview")).ToContainTextAsync("says km");
            await Assertions.Expect(_page.Locator("[data-testid=import-source] input, input[data-testid=import-source]")).ToHaveValueAsync(name);
            await ShotAsync("import-preview");
            await _page.ClickAsync("[data-testid=import-start]");
            await Assertions.Expect(_page.GetByTestId("import-report")).ToContainTextAsync($"{fixtureFile.Rows} of {fixtureFile.Rows + 1} rows", new() { Timeout = 60_000 });
            await Assertions.Expect(_page.GetByTestId("import-rejected")).ToContainTextAsync("rejected 1");
            await Assertions.Expect(_page.GetByTestId("import-runs")).ToContainTextAsync(name);
            await ShotAsync("import");

            var link = await _page.GetByTestId("import-report").Locator("a[href$='rejections.csv']").GetAttributeAsync("href");
            var csv = await (await _page.Context.APIRequest.GetAsync(new Uri(_admin, link!).ToString())).TextAsync();
            Assert.Contains("price", csv, StringComparison.Ordinal);
            Assert.Contains("VW;Polo;03/2019", csv, StringComparison.Ordinal);
            Assert.Equal(fixtureFile.Rows, await Db.ScalarAsync<long>(await fixture.ConnectionStringAsync("carrecommender"),
                "SELECT count(*) FROM listings WHERE source = $1", name));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task An_admin_creates_starts_and_stops_an_experiment_and_reads_its_results()
    {
        await _page.GotoAsync(new Uri(_admin, "/experiments").ToString());
        await _page.FillAsync("#email", AppFixture.AdminEmail);
        await _page.FillAsync("#password", AppFixture.AdminPassword);
        await _page.ClickAsync("#sign-in");
        await _page.WaitForURLAsync("**/experiments");
        await InteractiveAsync();
        await _page.Locator("[data-testid=experiments], [data-testid=no-experiments]").First.WaitForAsync();

        // one experiment runs at a time: one another test left running is stopped first
        var running = _page.Locator("[data-testid=experiment][data-state=running]");
        if (await running.CountAsync() > 0)
        {
            await running.First.Locator("[data-testid=stop]").ClickAsync();
            await ConfirmAsync("Stop");
            await Assertions.Expect(running).ToHaveCountAsync(0);
        }

        // two variants through the form: the control (defaults) and one with settings; shares stay 50 / 50
        var name = $"e2e-{Guid.NewGuid():N}"[..16];
        await FillAndLeaveAsync("#experiment-name", name);
        await FillAndLeaveAsync("#experiment-description", "Browser test: electric cars lifted, at most two cars per seller");
        await FillAndLeaveAsync("#variant-name-1", "electric-boost");
        await FillAndLeaveAsync("#variant-settings-1",
            """{"ranking": {"lambda": 0.8}, "rules": {"maxPerSeller": 2, "boosts": [{"when": "car.Fuel == \"Electric\"", "factor": 1.2}]}}""");
        await _page.ClickAsync("#create-experiment");
        var row = _page.Locator($"[data-testid=experiment][data-name='{name}']");
        await Assertions.Expect(row).ToHaveAttributeAsync("data-state", "draft");
        Assert.Equal(0, await _page.GetByTestId("form-problems").CountAsync());
        var id = await row.GetAttributeAsync("data-id");

        await row.Locator("[data-testid=start]").ClickAsync();
        await ConfirmAsync("Start");
        await Assertions.Expect(row).ToHaveAttributeAsync("data-state", "running");
        var results = _page.GetByTestId("experiment-results");
        await Assertions.Expect(results).ToHaveAttributeAsync("data-id", id!);
        await Assertions.Expect(results.Locator("[data-testid=variant-result]")).ToHaveCountAsync(2);
        await Assertions.Expect(results.Locator("[data-variant=control] [data-testid=control]")).ToHaveCountAsync(1);
        await Assertions.Expect(results.Locator("[data-variant=electric-boost] [data-testid=ctr]")).ToHaveCountAsync(1);

        // shoppers of the marketplace are served lists under it, and some click: the page (polling while it runs) shows
        // each variant's click-through with its interval
        await ServeAndClickAsync(name, shoppers: 40, clicking: 12);
        foreach (var variant in new[] { "control", "electric-boost" })
            await Assertions.Expect(results.Locator($"[data-variant={variant}] [data-testid=ctr]"))
                .ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"\d+(\.\d+)? % \(\d+(\.\d+)?–\d+(\.\d+)? %\)"),
                    new LocatorAssertionsToHaveTextOptions { Timeout = 45_000 });

        await row.Locator("[data-testid=stop]").ClickAsync();
        await ConfirmAsync("Stop");
        await Assertions.Expect(row).ToHaveAttributeAsync("data-state", "stopped");
        await Assertions.Expect(results.Locator("[data-testid=variant-result]")).ToHaveCountAsync(2);
        Assert.Equal(0, await _page.GetByTestId("experiment-error").CountAsync());
        Assert.Equal(0, await _page.GetByTestId("backend-error").CountAsync());
        Report.Line($"admin console: experiment {name} created with two variants, started, results read, stopped");
        await ShotAsync("experiments");
    }

    /// <summary>
    /// Simulated shoppers (tokens of the marketplace's identity provider) each get a list under the running experiment;
    /// the first <paramref name="clicking"/> open its first car from it.
    /// </summary>
    private async Task ServeAndClickAsync(string experiment, int shoppers, int clicking)
    {
        for (var i = 0; i < shoppers; i++)
        {
            var subject = $"{experiment}-console-{i}";
            using var api = fixture.Api(fixture.ExternalToken(subject, subject + "@shoppers.example", null));
            var list = (await api.GetFromJsonAsync<CarRecommender.Contracts.RecommendationsDto>("/api/users/me/recommendations?limit=5",
                new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web)))!;
            Assert.Equal(experiment, list.Experiment);
            if (i >= clicking) continue;
            using var click = await api.PostAsJsonAsync("/api/events",
                new { listingId = list.Items[0].Listing.Id, type = "view", recommendationId = list.RecommendationId });
            Assert.Equal(System.Net.HttpStatusCode.Accepted, click.StatusCode);
        }
    }

    /// <summary>Fills a MudBlazor field and tabs out of it: the field takes its value on change, which leaving it fires.</summary>
    private async Task FillAndLeaveAsync(string selector, string value)
    {
        await _page.FillAsync(selector, value);
        await _page.PressAsync(selector, "Tab");
    }

    /// <summary>Answers the open confirmation dialog with <paramref name="button"/> and waits for it to close.</summary>
    private async Task ConfirmAsync(string button)
    {
        var dialog = _page.Locator(".mud-dialog");
        await dialog.GetByRole(AriaRole.Button, new() { Name = button, Exact = true }).ClickAsync();
        await Assertions.Expect(dialog).ToHaveCountAsync(0);
    }

    /// <summary>Waits until the page's Blazor circuit is connected: before that, the prerendered buttons do nothing.</summary>
    private Task InteractiveAsync() => _page.GetByTestId("interactive").WaitForAsync(new() { State = WaitForSelectorState.Attached });

    private async Task<List<long>> RecommendedIdsAsync() =>
        (await _page.GetByTestId("recommendation").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.listingId)"))
        .Select(long.Parse).ToList();

    private async Task ShotAsync(string name)
    {
        await _page.EvaluateAsync("window.scrollTo(0, 0)");
        var bytes = await _page.ScreenshotAsync(new PageScreenshotOptions { FullPage = false });
        foreach (var dir in _shotDirs) await File.WriteAllBytesAsync(Path.Combine(dir, name + ".png"), bytes);
    }
}
