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

// eng/bench.sh recommend: see RecommendBench.
if (args is ["recommend" or "admin", ..]) return await RecommendBench.RunAsync(args);

// eng/bench.sh events: sustained POST /api/events through the whole system (API → outbox → RabbitMQ → both
// pipelines), then how many were applied, how fast, and how fresh the vectors were.
if (args is not ["events", ..])
{
    Console.Error.WriteLine("usage: CarRecommender.Bench events [--seconds N] [--clients N] [--batch N]");
    Console.Error.WriteLine("       CarRecommender.Bench recommend [--listings N] [--users N] [--seconds N] [--concurrency N] [--sample N] [--page-runs N]");
    Console.Error.WriteLine("       CarRecommender.Bench admin [--listings N] [--users N] [--page-runs N]");
    return 2;
}
var seconds = Option("--seconds", 30);
var clients = Option("--clients", 8);
var batchSize = Option("--batch", 100);
const double GoalRate = 5000, GoalP99 = 1.0;

var dataRoot = Path.Combine(Path.GetTempPath(), "carrec-bench-" + Guid.NewGuid().ToString("N")[..8]);
AnsiConsole.MarkupLine($"starting the system (local Postgres and RabbitMQ under {dataRoot}) …");
var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.CarRecommender_AppHost>(
    [$"--LocalInfra:DataRoot={dataRoot}", "--LocalInfra:Mode=Executables"]);
builder.Services.AddLogging(l => l.ClearProviders()); // the services log to the dashboard; the console shows the figures
// a few clients stand for thousands of shoppers: the per-user event rate limit (100 a second) is not what is measured
builder.CreateResourceBuilder<ProjectResource>("api")
    .WithEnvironment("RateLimits__Events__PerSecond", "10000000").WithEnvironment("RateLimits__Events__Burst", "10000000");
await using var app = await builder.BuildAsync();
await app.StartAsync();
foreach (var name in new[] { "api", "pipelines" }) await app.ResourceNotifications.WaitForResourceHealthyAsync(name);
var cs = await app.GetConnectionStringAsync("carrecommender") ?? throw new InvalidOperationException("no database");
await using var db = DataSources.Create(cs);

// shoppers and listings to post about
var users = new List<string>();
await using (var cmd = db.CreateCommand($"SELECT email FROM users WHERE role = 'User' ORDER BY id LIMIT {clients}"))
await using (var reader = await cmd.ExecuteReaderAsync())
    while (await reader.ReadAsync()) users.Add(reader.GetString(0));
var listingIds = new List<long>();
await using (var cmd = db.CreateCommand("SELECT id FROM listings WHERE status = 'Active'"))
await using (var reader = await cmd.ExecuteReaderAsync())
    while (await reader.ReadAsync()) listingIds.Add(reader.GetInt64(0));
var tokens = new List<string>();
using (var anon = app.CreateHttpClient("api"))
{
    foreach (var email in users)
    {
        var token = await (await anon.PostAsJsonAsync("/api/auth/token", new { email })).Content.ReadFromJsonAsync<JsonElement>();
        tokens.Add(token.GetProperty("accessToken").GetString()!);
    }
}

var started = DateTimeOffset.UtcNow;
AnsiConsole.MarkupLine($"posting batches of {batchSize} events from {clients} clients for {seconds} s …");
long accepted = 0, failedRequests = 0;
var deadline = Stopwatch.GetTimestamp() + seconds * Stopwatch.Frequency;
var load = Stopwatch.StartNew();
string[] types = ["view", "view", "view", "view", "save", "contact", "dismiss"];
await Task.WhenAll(tokens.Select(async (token, c) =>
{
    using var http = app.CreateHttpClient("api");
    http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
    var rng = new Random(c);
    while (Stopwatch.GetTimestamp() < deadline)
    {
        var batch = Enumerable.Range(0, batchSize).Select(_ => new { listingId = listingIds[rng.Next(listingIds.Count)], type = types[rng.Next(types.Length)] });
        using var response = await http.PostAsJsonAsync("/api/events", batch);
        if (response.IsSuccessStatusCode)
            Interlocked.Add(ref accepted, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accepted").GetInt32());
        else Interlocked.Increment(ref failedRequests);
    }
}));
load.Stop();
var acceptRate = accepted / load.Elapsed.TotalSeconds;

AnsiConsole.MarkupLine($"{accepted:N0} events accepted; waiting for the three pipelines to apply them …");
var drain = Stopwatch.StartNew();
long content = 0, collaborative = 0, popularity = 0;
for (var poll = 0; drain.Elapsed < TimeSpan.FromMinutes(10); poll++)
{
    (content, collaborative, popularity) = await ProcessedAsync(db, started);
    if (content >= accepted && collaborative >= accepted && popularity >= accepted) break;
    if (poll % 20 == 0)
        AnsiConsole.MarkupLine($"  {drain.Elapsed.TotalSeconds,5:0} s: outbox {await ScalarAsync(db, "SELECT count(*) FROM outbox WHERE created_at >= $1", started):N0} waiting, applied {content:N0} content / {collaborative:N0} collaborative / {popularity:N0} popularity");
    await Task.Delay(250);
}
var stored = await ScalarAsync(db, "SELECT count(*) FROM interactions WHERE recorded_at >= $1", started);
var freshness = await FreshnessAsync(db, started);
var endToEnd = await ScalarDoubleAsync(db, """
    SELECT count(*) / extract(epoch FROM max(p.processed_at) - min(i.recorded_at))
    FROM processed_events p JOIN interactions i ON i.event_id = p.event_id
    WHERE p.pipeline = 'content' AND i.recorded_at >= $1
    """, started);

var table = new Table().AddColumns("figure", "value", "goal");
table.AddRow("events accepted by the API (sustained)", $"{acceptRate:N0} /s ({accepted:N0} in {load.Elapsed.TotalSeconds:0.0} s, {failedRequests} failed requests)",
    Goal(acceptRate >= GoalRate, $"≥ {GoalRate:N0} /s"));
table.AddRow("events applied end to end (content pipeline)", $"{endToEnd:N0} /s", Goal(endToEnd >= GoalRate, $"≥ {GoalRate:N0} /s"));
table.AddRow("stored / applied by content / collaborative / popularity", $"{stored:N0} / {content:N0} / {collaborative:N0} / {popularity:N0}",
    Goal(stored == accepted && content == accepted && collaborative == accepted && popularity == accepted, "all equal (nothing lost, nothing twice)"));
table.AddRow("event → content vector freshness p50 / p99", $"{freshness.P50:0.000} s / {freshness.P99:0.000} s", Goal(freshness.P99 <= GoalP99, $"p99 ≤ {GoalP99} s"));
table.AddRow("drain after the load stopped", $"{drain.Elapsed.TotalSeconds:0.0} s", "");
AnsiConsole.Write(table);
await app.StopAsync();
try { Directory.Delete(dataRoot, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
return 0;

int Option(string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], out var v) ? v : fallback;
}

static string Goal(bool met, string goal) => $"{goal} {(met ? "[green]met[/]" : "[red]MISSED[/]")}";

static async Task<(long Content, long Collaborative, long Popularity)> ProcessedAsync(NpgsqlDataSource db, DateTimeOffset since)
{
    await using var cmd = db.CreateCommand("""
        SELECT count(*) FILTER (WHERE p.pipeline = 'content'), count(*) FILTER (WHERE p.pipeline = 'collaborative'),
               count(*) FILTER (WHERE p.pipeline = 'popularity')
        FROM processed_events p JOIN interactions i ON i.event_id = p.event_id WHERE i.recorded_at >= $1
        """);
    cmd.Parameters.AddWithValue(since);
    await using var reader = await cmd.ExecuteReaderAsync();
    await reader.ReadAsync();
    return (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
}

static async Task<(double P50, double P99)> FreshnessAsync(NpgsqlDataSource db, DateTimeOffset since)
{
    // processed_at is the pipeline transaction's start, recorded_at the API's: the time an event waited for its vector
    await using var cmd = db.CreateCommand("""
        SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY s), percentile_cont(0.99) WITHIN GROUP (ORDER BY s)
        FROM (SELECT extract(epoch FROM p.processed_at - i.recorded_at)::float8 AS s
              FROM processed_events p JOIN interactions i ON i.event_id = p.event_id
              WHERE p.pipeline = 'content' AND i.recorded_at >= $1) t
        """);
    cmd.Parameters.AddWithValue(since);
    await using var reader = await cmd.ExecuteReaderAsync();
    await reader.ReadAsync();
    return (reader.IsDBNull(0) ? double.NaN : reader.GetDouble(0), reader.IsDBNull(1) ? double.NaN : reader.GetDouble(1));
}

static async Task<long> ScalarAsync(NpgsqlDataSource db, string sql, DateTimeOffset since)
{
    await using var cmd = db.CreateCommand(sql);
    cmd.Parameters.AddWithValue(since);
    return Convert.ToInt64(await cmd.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
}

static async Task<double> ScalarDoubleAsync(NpgsqlDataSource db, string sql, DateTimeOffset since)
{
    await using var cmd = db.CreateCommand(sql);
    cmd.Parameters.AddWithValue(since);
    return await cmd.ExecuteScalarAsync() is { } v and not DBNull ? Convert.ToDouble(v, System.Globalization.CultureInfo.InvariantCulture) : double.NaN;
}
