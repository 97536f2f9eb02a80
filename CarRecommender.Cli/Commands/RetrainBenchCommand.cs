using System.ComponentModel;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using CarRecommender.Core.Evaluation;
using CarRecommender.Core.Learning;
using Npgsql;
using Pgvector;
using Spectre.Console;
using Spectre.Console.Cli;

namespace CarRecommender.Cli.Commands;

public sealed class RetrainBenchSettings : DatabaseSettings
{
    [CommandOption("--api <URL>")]
    [Description("The running API on the same database (its demo tokens on: Auth:DemoTokens=true)")]
    public string Api { get; init; } = "http://localhost:5080";

    [CommandOption("--concurrency <N>")]
    [Description("Requests in flight (default 4)")]
    public int Concurrency { get; init; } = 4;

    [CommandOption("--baseline <SECONDS>")]
    [Description("Seconds of the same load before the retrain, for the comparison (default 20)")]
    public int Baseline { get; init; } = 20;

    [CommandOption("--iterations <N>")]
    [Description("Train a fixed setting with this many sweeps instead of running the self-tuning first")]
    public int? Iterations { get; init; }

    [CommandOption("--json")]
    [Description("Print the figures as JSON (for tests) instead of a table")]
    public bool Json { get; init; }

    public override ValidationResult Validate() =>
        Concurrency is < 1 or > 64 ? ValidationResult.Error("--concurrency must be from 1 to 64")
        : Baseline is < 1 or > 3600 ? ValidationResult.Error("--baseline must be from 1 to 3,600 seconds")
        : Iterations is < 1 or > 100 ? ValidationResult.Error("--iterations must be from 1 to 100")
        : ValidationResult.Success();
}

/// <summary>
/// A retrain under load (<c>eng/bench.sh retrain</c>): shoppers read listings and their stored lists and post events
/// against a running API, first for a baseline, then while an ALS retrain runs on the same database; afterwards the
/// new model must serve and every user's latent vector must be the fold-in of their history into it (users whose
/// events arrived after the switch are the pipeline's to fold, and are counted apart). Goal: every request succeeds
/// and p99 during the retrain is at most twice p99 before it.
/// </summary>
public sealed class RetrainBenchCommand : AsyncCommand<RetrainBenchSettings>
{
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    public sealed record Phase(string Name, int Requests, int Failed, double P50Ms, double P99Ms, double MaxMs, double Seconds, IReadOnlyList<string> Failures);

    public sealed record Outcome(long Listings, Phase Before, Phase During, long ModelId, bool NewModelServes, int UsersChecked, int UsersFoldedLater,
        double LargestDistance, bool P99GoalMet);

    public override async Task<int> ExecuteAsync(CommandContext context, RetrainBenchSettings settings, CancellationToken cancellationToken)
    {
        await using var dataSource = await settings.OpenDatabaseAsync(cancellationToken);
        var listings = await ScalarAsync<long>(dataSource, "SELECT count(*) FROM listings", cancellationToken);
        var ids = await ListAsync(dataSource, "SELECT id FROM listings WHERE status = 'Active' ORDER BY random() LIMIT 2000", cancellationToken);
        var emails = new List<string>();
        await using (var cmd = dataSource.CreateCommand(
            $"SELECT email FROM users WHERE role = 'User' AND interaction_count > 0 ORDER BY id LIMIT {settings.Concurrency * 2}"))
        await using (var reader = await cmd.ExecuteReaderAsync(cancellationToken))
            while (await reader.ReadAsync(cancellationToken)) emails.Add(reader.GetString(0));
        if (ids.Count == 0 || emails.Count == 0) throw new CliException("the database has no listings or no users with history: seed first");

        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = settings.Concurrency * 2 })
        {
            BaseAddress = new Uri(settings.Api),
            Timeout = TimeSpan.FromSeconds(60),
        };
        var tokens = new List<string>();
        foreach (var email in emails)
        {
            using var response = await http.PostAsJsonAsync("api/auth/token", new { email }, cancellationToken);
            if (!response.IsSuccessStatusCode)
                throw new CliException($"the API at {settings.Api} gave no demo token ({(int)response.StatusCode}): start it with Auth:DemoTokens=true");
            tokens.Add((await response.Content.ReadFromJsonAsync<JsonElement>(JsonOptions, cancellationToken)).GetProperty("accessToken").GetString()!);
        }
        Status(settings, $"{listings:N0} listings; {settings.Concurrency} shoppers in flight (listing, stored list, event); baseline {settings.Baseline} s");

        var before = await LoadAsync(http, tokens, ids, settings.Concurrency, "before the retrain", Task.Delay(TimeSpan.FromSeconds(settings.Baseline), cancellationToken),
            cancellationToken);
        Status(settings, "retraining under the same load …");
        var fixedOptions = settings.Iterations is { } n ? ModelSearch.Default with { Iterations = n } : null;
        var training = new AlsTrainer(dataSource).TrainAsync(fixedOptions, new ModelSearchSettings(), "bench-retrain", null, cancellationToken);
        var during = await LoadAsync(http, tokens, ids, settings.Concurrency, "during the retrain", training, cancellationToken);
        var version = await training ?? throw new CliException("nothing to train on");

        // every user's vector against a fresh fold-in into the serving model
        await using var conn = await dataSource.OpenConnectionAsync(cancellationToken);
        var model = await FactorStore.CurrentModelAsync(conn, null, cancellationToken) ?? throw new CliException("no model serves");
        var later = (await ListAsync(dataSource, $"SELECT DISTINCT user_id FROM interactions WHERE recorded_at >= '{version.CreatedAt:O}'::timestamptz",
            cancellationToken)).ToHashSet();
        var stored = new Dictionary<long, float[]>();
        await using (var cmd = new NpgsqlCommand("SELECT id, latent_vector FROM users WHERE latent_vector IS NOT NULL", conn))
        await using (var reader = await cmd.ExecuteReaderAsync(cancellationToken))
            while (await reader.ReadAsync(cancellationToken))
                if (!later.Contains(reader.GetInt64(0))) stored[reader.GetInt64(0)] = reader.GetFieldValue<Vector>(1).ToArray();
        var histories = await FactorStore.HistoriesWithFactorsAsync(conn, null, stored.Keys, cancellationToken);
        var largest = 0.0;
        foreach (var (userId, vector) in stored)
        {
            var fresh = FactorStore.FoldIn(model, histories.GetValueOrDefault(userId));
            largest = Math.Max(largest, fresh is null ? double.PositiveInfinity : Math.Sqrt(vector.Zip(fresh, (a, b) => (double)(a - b) * (a - b)).Sum()));
        }

        var outcome = new Outcome(listings, before, during, version.Id, model.Id == version.Id, stored.Count, later.Count, largest,
            during.Failed == 0 && during.P99Ms <= 2 * before.P99Ms);
        if (settings.Json)
        {
            Console.WriteLine(JsonSerializer.Serialize(outcome, JsonOptions));
            return 0;
        }
        var table = new Table().AddColumns("phase", "requests", "failed", "p50 ms", "p99 ms", "max ms", "seconds");
        foreach (var p in new[] { before, during })
            table.AddRow(p.Name, $"{p.Requests:N0}", $"{p.Failed:N0}", $"{p.P50Ms:0.0}", $"{p.P99Ms:0.0}", $"{p.MaxMs:0.0}", $"{p.Seconds:0.0}");
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLineInterpolated($"goal: no failed request and p99 during ≤ 2× p99 before ({2 * before.P99Ms:0.0} ms): {(outcome.P99GoalMet ? "met" : "MISSED")}");
        AnsiConsole.MarkupLineInterpolated(
            $"model {version.Id} serves: {outcome.NewModelServes}; {stored.Count:N0} users' latent vectors vs a fresh fold-in: largest distance {largest:E1} ({later.Count:N0} users with events after the switch are left to the collaborative pipeline)");
        foreach (var f in during.Failures.Take(5)) AnsiConsole.WriteLine(f);
        return 0;
    }

    private static void Status(RetrainBenchSettings settings, string text)
    {
        if (!settings.Json) AnsiConsole.MarkupLineInterpolated($"{text}");
    }

    /// <summary>Closed-loop mixed load until <paramref name="until"/> completes.</summary>
    private static async Task<Phase> LoadAsync(HttpClient http, List<string> tokens, List<long> ids, int concurrency, string name, Task until, CancellationToken ct)
    {
        var latencies = new List<double>();
        var failures = new List<string>();
        var requests = 0;
        var clock = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, concurrency).Select(async w =>
        {
            var rng = new Random(w * 7919 + 17);
            var token = tokens[w % tokens.Count];
            for (var i = 0; !until.IsCompleted || i == 0; i++)
            {
                using var request = (i % 3) switch
                {
                    0 => new HttpRequestMessage(HttpMethod.Get, $"api/listings/{ids[rng.Next(ids.Count)]}"),
                    1 => new HttpRequestMessage(HttpMethod.Get, "api/users/me/recommendations"),
                    _ => new HttpRequestMessage(HttpMethod.Post, "api/events")
                    {
                        Content = JsonContent.Create(new { listingId = ids[rng.Next(ids.Count)], type = rng.Next(4) == 0 ? "save" : "view" }),
                    },
                };
                request.Headers.Authorization = new("Bearer", token);
                Interlocked.Increment(ref requests);
                var t0 = Stopwatch.GetTimestamp();
                try
                {
                    using var response = await http.SendAsync(request, ct);
                    var ms = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                    lock (latencies)
                    {
                        latencies.Add(ms);
                        if (!response.IsSuccessStatusCode) failures.Add($"{(int)response.StatusCode} {request.Method} {request.RequestUri}");
                    }
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
                {
                    lock (latencies) failures.Add($"{request.Method} {request.RequestUri}: {ex.Message}");
                }
            }
        }).ToArray();
        await Task.WhenAll(workers);
        try
        {
            await until;
        }
        catch (Exception) when (until.IsFaulted)
        {
            // the caller awaits the retrain itself and reports its failure
        }
        latencies.Sort();
        double Pct(double p) => latencies.Count == 0 ? double.NaN : latencies[Math.Min(latencies.Count - 1, (int)Math.Ceiling(p * latencies.Count) - 1)];
        return new Phase(name, requests, failures.Count, Pct(0.5), Pct(0.99),
            latencies.Count == 0 ? double.NaN : latencies[^1], clock.Elapsed.TotalSeconds, failures);
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlDataSource dataSource, string sql, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand(sql);
        return (T)(await cmd.ExecuteScalarAsync(ct))!;
    }

    private static async Task<List<long>> ListAsync(NpgsqlDataSource dataSource, string sql, CancellationToken ct)
    {
        var result = new List<long>();
        await using var cmd = dataSource.CreateCommand(sql);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) result.Add(reader.GetInt64(0));
        return result;
    }
}
