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
/// eng/bench.sh events: POST /api/events through the whole system (API → outbox → RabbitMQ → the three pipelines), in
/// two phases. First a steady load at the goal's rate (<c>--rate</c>, 5,000 events/s, from <c>--users</c> shoppers):
/// how fresh each event's content vector was, and, for a probe shopper outside the load, the time from an event to
/// their refreshed list. Then as fast as the clients can post (<c>--burst-seconds</c>): how many events per second
/// every pipeline applies while a backlog keeps it busy. Nothing may be lost or applied twice in either.
/// </summary>
public static class EventsBench
{
    private const double GoalRate = 5000, GoalVectorP99 = 1.0, GoalListP99 = 0.5, GoalApiMb = 400, GoalWorkerMb = 1536;
    private static readonly string[] Pipelines = ["content", "collaborative", "popularity"];
    private static readonly string[] Types = ["view", "view", "view", "view", "save", "contact", "dismiss"];

    public static async Task<int> RunAsync(string[] args)
    {
        var rate = Option(args, "--rate", (int)GoalRate);
        var seconds = Option(args, "--seconds", 30);
        var burstSeconds = Option(args, "--burst-seconds", 20);
        var clients = Option(args, "--clients", 8);
        var shoppers = Option(args, "--users", 1500); // of the demo seed's 2,000
        var batchSize = Option(args, "--batch", 100);

        var dataRoot = Path.Combine(Path.GetTempPath(), "carrec-bench-" + Guid.NewGuid().ToString("N")[..8]);
        AnsiConsole.MarkupLine($"starting the system (local Postgres and RabbitMQ under {dataRoot}) …");
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.CarRecommender_AppHost>(
            [$"--LocalInfra:DataRoot={dataRoot}", "--LocalInfra:Mode=Executables"]);
        builder.Services.AddLogging(l => l.ClearProviders()); // the services log to the dashboard; the console shows the figures
        // a few clients stand for many shoppers: the per-user event rate limit is not what is measured
        builder.CreateResourceBuilder<ProjectResource>("api")
            .WithEnvironment("RateLimits__Events__PerSecond", "10000000").WithEnvironment("RateLimits__Events__Burst", "10000000")
            .WithEnvironment("RateLimits__Tokens__PerMinute", "100000");
        // no scheduled retrain while measuring (it would replace every user's vectors mid-run)
        builder.CreateResourceBuilder<ProjectResource>("pipelines").WithEnvironment("Als__RetrainMinutes", "0").WithEnvironment("Ranker__RetrainMinutes", "0");
        await using var app = await builder.BuildAsync();
        await app.StartAsync();
        foreach (var name in new[] { "api", "pipelines" }) await app.ResourceNotifications.WaitForResourceHealthyAsync(name);
        var cs = await app.GetConnectionStringAsync("carrecommender") ?? throw new InvalidOperationException("no database");
        await using var db = DataSources.Create(cs);

        var users = new List<(long Id, string Email)>();
        await using (var cmd = db.CreateCommand($"SELECT id, email FROM users WHERE role = 'User' ORDER BY id LIMIT {shoppers + 1}"))
        await using (var reader = await cmd.ExecuteReaderAsync())
            while (await reader.ReadAsync()) users.Add((reader.GetInt64(0), reader.GetString(1)));
        var listingIds = new List<long>();
        await using (var cmd = db.CreateCommand("SELECT id FROM listings WHERE status = 'Active'"))
        await using (var reader = await cmd.ExecuteReaderAsync())
            while (await reader.ReadAsync()) listingIds.Add(reader.GetInt64(0));
        using var anon = app.CreateHttpClient("api");
        var probe = users[^1]; // outside the load: their list is refreshed only for the probe's own events
        var tokens = new List<string>();
        foreach (var (_, email) in users.Take(shoppers)) tokens.Add(await TokenAsync(anon, email));
        using var probeHttp = app.CreateHttpClient("api");
        probeHttp.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await TokenAsync(anon, probe.Email));

        // phase 1: the goal's rate, steady; the probe measures event → refreshed list meanwhile
        var started = DateTimeOffset.UtcNow;
        AnsiConsole.MarkupLine($"steady load: {rate:N0} events/s in batches of {batchSize} from {tokens.Count:N0} shoppers ({clients} clients) for {seconds} s …");
        var listTimes = new List<double>();
        string? probeError = null;
        using var probeStop = new CancellationTokenSource();
        var probing = Task.Run(async () =>
        {
            var rng = new Random(99);
            try
            {
                while (!probeStop.IsCancellationRequested)
                    listTimes.Add(await EventToListAsync(probeHttp, db, probe.Id, listingIds[rng.Next(listingIds.Count)]));
            }
            catch (TimeoutException ex)
            {
                probeError = ex.Message;
            }
        });
        var steady = await LoadAsync(app, tokens, listingIds, clients, batchSize, rate, seconds);
        await probeStop.CancelAsync();
        await probing;
        await DrainAsync(db, started);
        var steadyEnd = DateTimeOffset.UtcNow;
        var vector = await FreshnessAsync(db, started, steadyEnd);
        listTimes.Sort();

        // phase 2: as fast as the clients post; what every pipeline applies while a backlog keeps it busy
        AnsiConsole.MarkupLine($"burst: as fast as {clients} clients post, for {burstSeconds} s …");
        var burstStart = DateTimeOffset.UtcNow;
        var burst = await LoadAsync(app, tokens, listingIds, clients, batchSize, 0, burstSeconds);
        var burstEnd = DateTimeOffset.UtcNow;
        var drain = await DrainAsync(db, burstStart);
        var applied = new Dictionary<string, double>();
        foreach (var pipeline in Pipelines) applied[pipeline] = await AppliedRateAsync(db, pipeline, burstStart, burstEnd);

        var accepted = steady.Accepted + burst.Accepted;
        var (stored, content, collaborative, popularity) = await LoadCountsAsync(db, started, probe.Id);

        var table = new Table().AddColumns("figure", "value", "goal");
        table.AddRow("steady load: events accepted by the API", $"{steady.Rate:N0} /s ({steady.Accepted:N0} in {steady.Seconds:0.0} s, {steady.Failed} failed requests)",
            Goal(steady.Rate >= 0.97 * rate && steady.Failed == 0, $"≈ {rate:N0} /s offered"));
        table.AddRow("  event → content vector p50 / p99", $"{vector.P50:0.000} s / {vector.P99:0.000} s", Goal(vector.P99 <= GoalVectorP99, $"p99 ≤ {GoalVectorP99} s"));
        table.AddRow("  event → refreshed list p50 / p99 (a probe shopper)", probeError is not null && listTimes.Count == 0 ? $"not measured: {probeError}"
            : $"{Quantile(listTimes, 0.5):0.000} s / {Quantile(listTimes, 0.99):0.000} s ({listTimes.Count} events{(probeError is null ? "" : "; then " + probeError)})",
            Goal(probeError is null && Quantile(listTimes, 0.99) <= GoalListP99, $"p99 ≤ {GoalListP99} s"));
        table.AddRow("burst: events accepted by the API", $"{burst.Rate:N0} /s ({burst.Accepted:N0} in {burst.Seconds:0.0} s, {burst.Failed} failed requests)", "");
        table.AddRow("  events applied per pipeline (content / collaborative / popularity)",
            string.Join(" / ", Pipelines.Select(p => $"{applied[p]:N0}")) + " /s", Goal(applied.Values.Min() >= GoalRate, $"each ≥ {GoalRate:N0} /s"));
        table.AddRow("  drain after the burst stopped", $"{drain.TotalSeconds:0.0} s", "");
        table.AddRow("load's events stored / applied by content / collaborative / popularity", $"{stored:N0} / {content:N0} / {collaborative:N0} / {popularity:N0}",
            Goal(stored == accepted && content == accepted && collaborative == accepted && popularity == accepted, $"all {accepted:N0} (nothing lost, nothing twice)"));
        var (apiValue, apiGoal) = Memory(PeakWorkingSet(app, "api"), GoalApiMb);
        table.AddRow("API peak working set", apiValue, apiGoal);
        var (workerValue, workerGoal) = Memory(PeakWorkingSet(app, "pipelines"), GoalWorkerMb);
        table.AddRow("worker peak working set", workerValue, workerGoal);
        AnsiConsole.Write(table);
        await app.StopAsync();
        try { Directory.Delete(dataRoot, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        return 0;
    }

    private sealed record Load(long Accepted, long Failed, double Seconds)
    {
        public double Rate => Accepted / Seconds;
    }

    /// <summary>
    /// Batches of random events from the shoppers, round robin, for <paramref name="seconds"/>: at <paramref name="rate"/>
    /// events/s (each request at its slot of one shared schedule, so a slow answer is caught up), or back to back with 0.
    /// </summary>
    private static async Task<Load> LoadAsync(DistributedApplication app, List<string> tokens, List<long> listingIds, int clients, int batchSize,
        int rate, int seconds)
    {
        long accepted = 0, failed = 0, sequence = -1;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async c =>
        {
            using var http = app.CreateHttpClient("api");
            var rng = new Random(c);
            while (true)
            {
                var n = Interlocked.Increment(ref sequence);
                if (rate > 0)
                {
                    var due = TimeSpan.FromSeconds((double)n * batchSize / rate);
                    if (due >= TimeSpan.FromSeconds(seconds)) break;
                    if (due > clock.Elapsed) await Task.Delay(due - clock.Elapsed);
                }
                else if (clock.Elapsed >= TimeSpan.FromSeconds(seconds)) break;
                var batch = Enumerable.Range(0, batchSize).Select(_ => new { listingId = listingIds[rng.Next(listingIds.Count)], type = Types[rng.Next(Types.Length)] });
                using var request = new HttpRequestMessage(HttpMethod.Post, "/api/events") { Content = JsonContent.Create(batch) };
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", tokens[(int)(n % tokens.Count)]);
                using var response = await http.SendAsync(request);
                if (response.IsSuccessStatusCode)
                    Interlocked.Add(ref accepted, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accepted").GetInt32());
                else Interlocked.Increment(ref failed);
            }
        }));
        return new Load(accepted, failed, clock.Elapsed.TotalSeconds);
    }

    /// <summary>Waits until every pipeline has applied every event recorded since <paramref name="since"/> (at most 10 minutes), showing progress.</summary>
    private static async Task<TimeSpan> DrainAsync(NpgsqlDataSource db, DateTimeOffset since)
    {
        var drain = Stopwatch.StartNew();
        for (var poll = 0; drain.Elapsed < TimeSpan.FromMinutes(10); poll++)
        {
            var (stored, content, collaborative, popularity) = await LoadCountsAsync(db, since, 0);
            if (content >= stored && collaborative >= stored && popularity >= stored) break;
            if (poll % 20 == 0)
                AnsiConsole.MarkupLine($"  {drain.Elapsed.TotalSeconds,5:0} s: {stored:N0} stored, outbox {await ScalarAsync(db, "SELECT count(*) FROM outbox WHERE created_at >= $1", since):N0} waiting, "
                    + $"applied {content:N0} content / {collaborative:N0} collaborative / {popularity:N0} popularity");
            await Task.Delay(100);
        }
        return drain.Elapsed;
    }

    /// <summary>Events recorded since <paramref name="since"/> (but the user <paramref name="except"/>'s), and how many each pipeline applied.</summary>
    private static async Task<(long Stored, long Content, long Collaborative, long Popularity)> LoadCountsAsync(NpgsqlDataSource db, DateTimeOffset since,
        long except)
    {
        await using var cmd = db.CreateCommand("""
            SELECT (SELECT count(*) FROM interactions WHERE recorded_at >= $1 AND user_id <> $2),
                   count(*) FILTER (WHERE p.pipeline = 'content'), count(*) FILTER (WHERE p.pipeline = 'collaborative'),
                   count(*) FILTER (WHERE p.pipeline = 'popularity')
            FROM processed_events p JOIN interactions i ON i.event_id = p.event_id WHERE i.recorded_at >= $1 AND i.user_id <> $2
            """);
        cmd.Parameters.AddWithValue(since);
        cmd.Parameters.AddWithValue(except);
        await using var reader = await cmd.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3));
    }

    /// <summary>Events a pipeline applied per second between two instants (while the burst's backlog kept it busy).</summary>
    private static async Task<double> AppliedRateAsync(NpgsqlDataSource db, string pipeline, DateTimeOffset from, DateTimeOffset to)
    {
        await using var cmd = db.CreateCommand("SELECT count(*) FROM processed_events WHERE pipeline = $1 AND processed_at >= $2 AND processed_at < $3");
        cmd.Parameters.AddWithValue(pipeline);
        cmd.Parameters.AddWithValue(from);
        cmd.Parameters.AddWithValue(to);
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture) / (to - from).TotalSeconds;
    }

    /// <summary>Event → content vector: processed_at is the pipeline transaction's start, recorded_at the API's.</summary>
    private static async Task<(double P50, double P99)> FreshnessAsync(NpgsqlDataSource db, DateTimeOffset from, DateTimeOffset to)
    {
        await using var cmd = db.CreateCommand("""
            SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY s), percentile_cont(0.99) WITHIN GROUP (ORDER BY s)
            FROM (SELECT extract(epoch FROM p.processed_at - i.recorded_at)::float8 AS s
                  FROM processed_events p JOIN interactions i ON i.event_id = p.event_id
                  WHERE p.pipeline = 'content' AND i.recorded_at >= $1 AND i.recorded_at < $2) t
            """);
        cmd.Parameters.AddWithValue(from);
        cmd.Parameters.AddWithValue(to);
        await using var reader = await cmd.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.IsDBNull(0) ? double.NaN : reader.GetDouble(0), reader.IsDBNull(1) ? double.NaN : reader.GetDouble(1));
    }

    private static async Task<long> ScalarAsync(NpgsqlDataSource db, string sql, DateTimeOffset since)
    {
        await using var cmd = db.CreateCommand(sql);
        cmd.Parameters.AddWithValue(since);
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
