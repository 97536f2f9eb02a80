using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using CarRecommender.Core.Data;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using Spectre.Console;
using static Measures;

/// <summary>
/// eng/bench.sh recommend: the whole system on a seeded catalogue (default 1,000,000 listings, 100,000 users with a
/// generated history, ALS trained), then recommendation latency and throughput (precomputed and filtered) next to
/// GET /api/listings/{id} in the same run, and the time from an event to the user's refreshed list.
/// </summary>
public static class RecommendBench
{
    // goals are ratios to GET /api/listings/{id} measured in the same run (the load generator shares the 2 cores)
    private const double GoalUnfilteredThroughput = 0.8, GoalUnfilteredP99 = 1.5, GoalFilteredP99 = 3, GoalFreshP99 = 0.5;
    private const double GoalApiMb = 400, GoalWorkerMb = 1536, GoalConsoleMb = 400;

    private static readonly string[] Filters =
    [
        "bodyType=suv", "maxPrice=15000", "fuel=electric", "bodyType=estate&maxPrice=20000", "make=BMW",
        "minYear=2020&transmission=automatic", "bodyType=convertible&make=Porsche", "fuel=diesel&maxMileage=60000",
    ];

    public static async Task<int> RunAsync(string[] args)
    {
        var listings = Option(args, "--listings", 1_000_000);
        var userCount = Option(args, "--users", 100_000);
        var seconds = Option(args, "--seconds", 20);
        var concurrency = Option(args, "--concurrency", 4);
        var sample = Option(args, "--sample", 2_000);
        var pageRuns = Option(args, "--page-runs", 5);
        // eng/bench.sh admin: the same system and catalogue (no ALS training), then only the admin console's pages
        var adminOnly = args is ["admin", ..];

        // --reuse DIR: a data folder an earlier run kept; its catalogue and model are used as they are when big enough
        var reuse = TextOption(args, "--reuse");
        var dataRoot = reuse is not null ? Path.GetFullPath(reuse) : Path.Combine(Path.GetTempPath(), "carrec-bench-" + Guid.NewGuid().ToString("N")[..8]);
        AnsiConsole.MarkupLine($"starting the system (local Postgres and RabbitMQ under {dataRoot}) …");
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.CarRecommender_AppHost>(
            [$"--LocalInfra:DataRoot={dataRoot}", "--LocalInfra:Mode=Executables"]);
        // the services' own output is kept (last lines only) so a failed phase can show what the worker said
        var serviceLog = new ServiceLogRing(400);
        builder.Services.AddLogging(l => l.ClearProviders().SetMinimumLevel(LogLevel.Information)
            .AddFilter("Aspire.", LogLevel.None).AddFilter("Microsoft.", LogLevel.None).AddProvider(serviceLog));
        // no scheduled retrain and no sweep while measuring: lists are made on first request and by the event pipeline
        builder.CreateResourceBuilder<ProjectResource>("pipelines")
            .WithEnvironment("Als__RetrainMinutes", "0").WithEnvironment("Ranker__RetrainMinutes", "0").WithEnvironment("Recommendations__Sweep", "false");
        // the API on its own port (5080), as a deployment serves it: DCP's development proxy adds a hop that costs
        // as much CPU as the request on this 2-core machine; --proxy measures through it instead
        var proxied = args.Contains("--proxy");
        if (!proxied && !adminOnly) builder.CreateResourceBuilder<ProjectResource>("api").WithEndpointProxySupport(false);
        await using var app = await builder.BuildAsync();
        await app.StartAsync();
        foreach (var name in new[] { "api", "pipelines" }) await app.ResourceNotifications.WaitForResourceHealthyAsync(name);
        var cs = await app.GetConnectionStringAsync("carrecommender") ?? throw new InvalidOperationException("no database");
        await using var db = DataSources.Create(cs);

        var seeded = reuse is not null
            && await CountAsync(db, "SELECT CASE WHEN to_regclass('listings') IS NULL THEN 0 ELSE (SELECT count(*) FROM listings) END") >= listings
            && await CountAsync(db, "SELECT count(*) FROM users") >= userCount;
        var seedTime = seeded ? TimeSpan.Zero : await CliAsync(cs, "seed", "--listings", $"{listings}", "--users", $"{userCount}", "--reset");
        var seedText = seeded ? "reused" : $"seed {seedTime.TotalSeconds:0} s";
        if (adminOnly)
        {
            AnsiConsole.MarkupLine($"admin console pages in Chromium, {pageRuns} visits each …");
            var only = await AdminPagesBench.MeasureAsync(app, db, pageRuns);
            var pagesTable = new Table().AddColumns("figure", "value", "goal");
            pagesTable.AddRow("catalogue", $"{listings:N0} listings, {userCount:N0} users; {seedText}", "");
            AddPageRows(pagesTable, only);
            AnsiConsole.Write(pagesTable);
            await app.StopAsync();
            Cleanup(dataRoot, args);
            return 0;
        }
        var trained = seeded && await CountAsync(db, "SELECT count(*) FROM model_versions") > 0;
        var trainText = trained ? "ALS model reused" : $"ALS train {(await CliAsync(cs, "train", "--trigger", "bench")).TotalSeconds:0} s";

        var apiUri = app.GetEndpoint("api", "http");
        using var anon = new HttpClient { BaseAddress = apiUri };
        var admin = await TokenAsync(anon, "admin@example.com");
        var users = await ColumnAsync(db, $"SELECT id FROM users WHERE role = 'User' AND interaction_count > 0 ORDER BY random() LIMIT {sample}");
        var listingIds = await ColumnAsync(db, "SELECT id FROM listings WHERE status = 'Active' ORDER BY random() LIMIT 20000");
        using var http = new HttpClient { BaseAddress = apiUri };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", admin);

        AnsiConsole.MarkupLine($"first request for {users.Count:N0} users (ranked live, then stored) …");
        var first = await MeasureAsync(http, users.Select(u => $"/api/admin/users/{u}/recommendations").ToList(), concurrency);
        AnsiConsole.MarkupLine($"measuring for {seconds} s each, {concurrency} requests in flight …");
        // anonymous, like a shopper browsing: an authenticated read also records a view (an event through the whole system)
        var byId = await LoadAsync(anon, rng => $"/api/listings/{listingIds[rng.Next(listingIds.Count)]}", concurrency, seconds);
        var unfiltered = await LoadAsync(http, rng => $"/api/admin/users/{users[rng.Next(users.Count)]}/recommendations", concurrency, seconds);
        var (filtered, byFilter) = await LoadByQueryAsync(http,
            rng => $"/api/admin/users/{users[rng.Next(users.Count)]}/recommendations?{Filters[rng.Next(Filters.Length)]}", concurrency, seconds);
        var mode = await ColumnTextAsync(http, $"/api/admin/users/{users[0]}/recommendations");

        AnsiConsole.MarkupLine("event → refreshed list, one event at a time …");
        Figures? fresh = null;
        string? freshError = null;
        try
        {
            fresh = await FreshnessAsync(apiUri, anon, db, listingIds);
        }
        catch (TimeoutException ex)
        {
            freshError = ex.Message; // still print the figures measured so far
            AnsiConsole.MarkupLine("[yellow]the services' last warnings:[/]");
            foreach (var line in serviceLog.Lines().TakeLast(40))
                AnsiConsole.WriteLine(line);
        }

        AnsiConsole.MarkupLine($"admin console pages in Chromium, {pageRuns} visits each …");
        // a console that does not answer costs its rows, not the figures above
        List<AdminPagesBench.PageFigures> pages = [];
        string? pagesError = null;
        try
        {
            pages = await AdminPagesBench.MeasureAsync(app, db, pageRuns);
        }
        catch (Exception ex) when (ex is TimeoutException or InvalidOperationException or Microsoft.Playwright.PlaywrightException)
        {
            pagesError = ex.Message.Split('\n')[0];
        }

        var table = new Table().AddColumns("figure", "value", "goal");
        table.AddRow("catalogue", $"{listings:N0} listings, {userCount:N0} users; {seedText}, {trainText}", "");
        table.AddRow("client", $"{concurrency} requests in flight, {seconds} s per phase, "
            + (proxied ? "through DCP's proxy (--proxy)" : $"straight to the API's port ({apiUri.Port}, no DCP proxy)"), "");
        table.AddRow("GET /api/listings/{id}", Describe(byId), "");
        table.AddRow($"recommendations, unfiltered ({mode})", Describe(unfiltered),
            Goal(unfiltered.Rate >= GoalUnfilteredThroughput * byId.Rate && unfiltered.P99 <= GoalUnfilteredP99 * byId.P99,
                $"≥ {GoalUnfilteredThroughput}× by-id req/s ({unfiltered.Rate / byId.Rate:0.00}×), p99 ≤ {GoalUnfilteredP99}× by-id ({unfiltered.P99 / byId.P99:0.0}×)"));
        var fromListShare = byFilter.Values.Sum(v => v.FromList * v.Figures.Count) / Math.Max(1, byFilter.Values.Sum(v => v.Figures.Count));
        table.AddRow($"recommendations, filtered ({fromListShare:P0} from the stored list, the rest live)", Describe(filtered),
            Goal(filtered.P99 <= GoalFilteredP99 * byId.P99, $"p99 ≤ {GoalFilteredP99}× by-id = {GoalFilteredP99 * byId.P99:0.0} ms ({filtered.P99 / byId.P99:0.0}×)"));
        foreach (var (query, (f, fromList)) in byFilter.OrderByDescending(kv => kv.Value.Figures.P99))
            table.AddRow($"  filter {query}", $"p50 {f.P50:0.0} ms, p99 {f.P99:0.0} ms ({f.Count:N0} requests, {fromList:P0} from the stored list)", "");
        table.AddRow("first request per user (live, then stored)", $"p50 {first.P50:0.0} ms, p99 {first.P99:0.0} ms", "");
        table.AddRow("event → refreshed list (light load; under 5,000 events/s: eng/bench.sh events)", fresh is null ? $"not measured: {freshError}" : $"p50 {fresh.P50:0.000} s, p99 {fresh.P99:0.000} s ({fresh.Count} events)",
            Goal(fresh is not null && fresh.P99 <= GoalFreshP99, $"p99 ≤ {GoalFreshP99} s"));
        AddPageRows(table, pages);
        if (pagesError is not null) table.AddRow("admin pages", Markup.Escape($"not measured: {pagesError}"), Goal(false, "p50 < 1,000 ms"));
        foreach (var (resource, label, goal) in new[] { ("api", "API", GoalApiMb), ("pipelines", "worker", GoalWorkerMb), ("admin", "console", GoalConsoleMb) })
        {
            var (value, verdict) = Memory(PeakWorkingSet(app, resource), goal);
            table.AddRow($"{label} peak working set", value, verdict);
        }
        AnsiConsole.Write(table);
        await app.StopAsync();
        Cleanup(dataRoot, args);
        return 0;
    }

    /// <summary>Deletes the system's data folder, unless <c>--keep</c> asked to leave it for a look at the database afterwards.</summary>
    private static void Cleanup(string dataRoot, string[] args)
    {
        if (args.Contains("--keep") || args.Contains("--reuse"))
        {
            AnsiConsole.MarkupLineInterpolated($"kept the data folder {dataRoot} (PostgreSQL's data directory is inside; local connections need no password)");
            return;
        }
        try { Directory.Delete(dataRoot, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>One row per admin page: time until the live page shows its data.</summary>
    private static void AddPageRows(Table table, List<AdminPagesBench.PageFigures> pages)
    {
        foreach (var p in pages)
            table.AddRow($"admin page: {p.Page}", $"p50 {p.P50:0} ms (max {p.Max:0})",
                Goal(p.P50 < AdminPagesBench.GoalMs, $"p50 < {AdminPagesBench.GoalMs:0} ms"));
    }

    private sealed record Figures(double P50, double P99, double Rate, long Failed, int Count = 0);

    private static string Describe(Figures f) => $"p50 {f.P50:0.00} ms, p99 {f.P99:0.00} ms, {f.Rate:N0} req/s, {f.Failed} failed";

    /// <summary>Runs a verb of the command line (CarRecommender.Cli, Release build) against the system's database, output shown.</summary>
    private static async Task<TimeSpan> CliAsync(string cs, params string[] args)
    {
        AnsiConsole.MarkupLineInterpolated($"[grey]$ cli {string.Join(' ', args)}[/]");
        var dll = Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "CarRecommender.Cli", "bin", "Release", "net10.0",
            "CarRecommender.Cli.dll");
        var start = new ProcessStartInfo("dotnet") { ArgumentList = { Path.GetFullPath(dll) } };
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["ConnectionStrings__carrecommender"] = cs;
        var sw = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        await process.WaitForExitAsync();
        if (process.ExitCode != 0) throw new InvalidOperationException($"pipelines {args[0]} exited with {process.ExitCode}");
        return sw.Elapsed;
    }

    private static async Task<string> ColumnTextAsync(HttpClient http, string url) =>
        (await http.GetFromJsonAsync<JsonElement>(url)).GetProperty("mode").GetString()!;

    private static async Task<List<long>> ColumnAsync(NpgsqlDataSource db, string sql)
    {
        var result = new List<long>();
        await using var cmd = db.CreateCommand(sql);
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync()) result.Add(reader.GetInt64(0));
        return result;
    }

    /// <summary>Each URL once, <paramref name="concurrency"/> at a time.</summary>
    private static async Task<Figures> MeasureAsync(HttpClient http, List<string> urls, int concurrency)
    {
        var latencies = new System.Collections.Concurrent.ConcurrentBag<double>();
        long failed = 0;
        var sw = Stopwatch.StartNew();
        await Parallel.ForEachAsync(urls, new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (url, ct) =>
        {
            var t = Stopwatch.GetTimestamp();
            using var response = await http.GetAsync(url, ct);
            await response.Content.ReadAsByteArrayAsync(ct);
            if (response.IsSuccessStatusCode) latencies.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
            else Interlocked.Increment(ref failed);
        });
        return Summarise([.. latencies], failed, sw.Elapsed);
    }

    /// <summary>A short warm-up, then <paramref name="seconds"/> of back-to-back requests from each of the clients.</summary>
    private static async Task<Figures> LoadAsync(HttpClient http, Func<Random, string> url, int concurrency, int seconds) =>
        (await LoadByQueryAsync(http, url, concurrency, seconds)).All;

    /// <summary>As <see cref="LoadAsync"/>, with the figures of each query string apart too (which filter costs most).</summary>
    private static async Task<(Figures All, Dictionary<string, (Figures Figures, double FromList)> ByQuery)> LoadByQueryAsync(HttpClient http, Func<Random, string> url,
        int concurrency, int seconds)
    {
        async Task<(List<(string Query, double Ms, bool FromList)>, long)> Run(int clientSeconds)
        {
            var deadline = Stopwatch.GetTimestamp() + clientSeconds * Stopwatch.Frequency;
            var all = new List<(string, double, bool)>();
            long failed = 0;
            var parts = await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async c =>
            {
                var rng = new Random(c);
                var mine = new List<(string, double, bool)>();
                long bad = 0;
                while (Stopwatch.GetTimestamp() < deadline)
                {
                    var next = url(rng);
                    var t = Stopwatch.GetTimestamp();
                    using var response = await http.GetAsync(next);
                    var body = await response.Content.ReadAsByteArrayAsync();
                    if (response.IsSuccessStatusCode)
                        mine.Add((next.Contains('?') ? next[(next.IndexOf('?') + 1)..] : "", Stopwatch.GetElapsedTime(t).TotalMilliseconds,
                            body.AsSpan().IndexOf("\"mode\":\"precomputed\""u8) >= 0));
                    else bad++;
                }
                return (mine, bad);
            }));
            foreach (var (mine, bad) in parts) { all.AddRange(mine); failed += bad; }
            return (all, failed);
        }
        await Run(3);
        var sw = Stopwatch.StartNew();
        var (latencies, failedRequests) = await Run(seconds);
        var byQuery = latencies.GroupBy(l => l.Query).ToDictionary(g => g.Key,
            g => (Summarise(g.Select(l => l.Ms).ToList(), 0, sw.Elapsed), g.Count(l => l.FromList) / (double)g.Count()));
        return (Summarise(latencies.Select(l => l.Ms).ToList(), failedRequests, sw.Elapsed), byQuery);
    }

    private static Figures Summarise(List<double> latencies, long failed, TimeSpan elapsed)
    {
        latencies.Sort();
        double P(double q) => latencies.Count == 0 ? double.NaN : latencies[Math.Min(latencies.Count - 1, (int)(q * latencies.Count))];
        return new Figures(P(0.5), P(0.99), latencies.Count / elapsed.TotalSeconds, failed, latencies.Count);
    }

    /// <summary>
    /// One save at a time from 20 users (<see cref="EventsPerUser"/> each, so the p99 is not just the slowest one): the
    /// time from POST /api/events until that user's stored list was computed from the vectors the event produced.
    /// </summary>
    private static async Task<Figures> FreshnessAsync(Uri apiUri, HttpClient anon, NpgsqlDataSource db, List<long> listingIds)
    {
        var emails = new List<(long Id, string Email)>();
        await using (var cmd = db.CreateCommand("SELECT id, email FROM users WHERE role = 'User' AND interaction_count > 0 ORDER BY random() LIMIT 20"))
        await using (var reader = await cmd.ExecuteReaderAsync())
            while (await reader.ReadAsync()) emails.Add((reader.GetInt64(0), reader.GetString(1)));
        var times = new List<double>();
        var rng = new Random(5);
        foreach (var (userId, email) in emails)
        {
            using var http = new HttpClient { BaseAddress = apiUri };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await TokenAsync(anon, email));
            for (var i = 0; i < EventsPerUser; i++)
                times.Add(await EventToListAsync(http, db, userId, listingIds[rng.Next(listingIds.Count)]));
        }
        times.Sort();
        return new Figures(Quantile(times, 0.5), Quantile(times, 0.99), 0, 0, times.Count);
    }

    private const int EventsPerUser = 15;

    private static async Task<long> CountAsync(NpgsqlDataSource db, string sql)
    {
        await using var cmd = db.CreateCommand(sql);
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }
}

/// <summary>Keeps the last warnings and errors the system's services logged (through the AppHost's resource loggers).</summary>
internal sealed class ServiceLogRing(int capacity) : ILoggerProvider
{
    private readonly int _capacity = capacity;
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _lines = new();

    public IEnumerable<string> Lines() => _lines.ToArray();

    public ILogger CreateLogger(string categoryName) => new Ring(this, categoryName[(categoryName.LastIndexOf('.') + 1)..]);

    public void Dispose()
    {
    }

    private sealed class Ring(ServiceLogRing owner, string name) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            // only what could explain a failure, so a busy worker's routine lines cannot push it out
            var text = formatter(state, exception);
            if (!text.Contains("warn", StringComparison.OrdinalIgnoreCase) && !text.Contains("fail", StringComparison.OrdinalIgnoreCase)
                && !text.Contains("exception", StringComparison.OrdinalIgnoreCase) && !text.Contains("error", StringComparison.OrdinalIgnoreCase)) return;
            owner._lines.Enqueue($"{name}: {text}");
            while (owner._lines.Count > owner._capacity) owner._lines.TryDequeue(out _);
        }
    }
}
