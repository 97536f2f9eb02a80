using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using CarRecommender.Core.Domain;
using Spectre.Console;
using Spectre.Console.Cli;

namespace CarRecommender.Cli.Commands;

public sealed class ApiBenchSettings : CommandSettings
{
    [CommandOption("--api <URL>")]
    public string Api { get; init; } = "http://localhost:5080";

    [CommandOption("--duration <SECONDS>")]
    [Description("Measured seconds per scenario (default 20; a 3 s warm-up comes first)")]
    public int Duration { get; init; } = 20;

    [CommandOption("--concurrency <N>")]
    [Description("Requests in flight (default 4)")]
    public int Concurrency { get; init; } = 4;
}

/// <summary>
/// Closed-loop load on the two hot read paths: a listing by id (random ids over the whole catalogue) and a filtered
/// search (random make, price ceiling, body type, sort). Latency percentiles are of successful requests; failures are
/// counted and shown.
/// </summary>
public sealed class ApiBenchCommand : AsyncCommand<ApiBenchSettings>
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private sealed record Goal(double P50Ms, double P99Ms, double MinRps);

    private sealed record Scenario(string Name, Func<Random, string> Url, Goal Goal);

    public override async Task<int> ExecuteAsync(CommandContext context, ApiBenchSettings settings, CancellationToken cancellationToken)
    {
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = settings.Concurrency })
        {
            BaseAddress = new Uri(settings.Api),
            Timeout = TimeSpan.FromSeconds(30),
        };
        JsonElement page;
        try
        {
            page = await http.GetFromJsonAsync<JsonElement>("api/listings?pageSize=1&status=active", Json, cancellationToken);
        }
        catch (HttpRequestException ex)
        {
            throw new CliException($"cannot reach the API at {settings.Api}: {ex.Message}");
        }
        var total = page.GetProperty("total").GetInt64();
        if (total == 0) throw new CliException("the API has no listings: seed first");
        AnsiConsole.MarkupLineInterpolated($"{total:N0} active listings at {settings.Api}; {settings.Concurrency} in flight, {settings.Duration} s per scenario");

        var bodies = Enum.GetNames<BodyType>().Where(b => b != nameof(BodyType.Unknown)).ToArray();
        Scenario[] scenarios =
        [
            new("GET /api/listings/{id}", rng => $"api/listings/{rng.NextInt64(1, total + 1)}", new Goal(5, 25, 1000)),
            new("GET /api/listings?make&maxPrice&body&sort", rng =>
            {
                var make = CarCatalogue.Makes[rng.Next(CarCatalogue.Makes.Length)].Name;
                var maxPrice = rng.Next(5, 60) * 1000;
                var sort = rng.Next(3) switch { 0 => "price", 1 => "newest", _ => "mileage" };
                return $"api/listings?make={Uri.EscapeDataString(make)}&maxPrice={maxPrice}&bodyType={bodies[rng.Next(bodies.Length)]}&sort={sort}&pageSize=20";
            }, new Goal(50, 250, 100)),
        ];

        var table = new Table().AddColumns("scenario", "requests", "failed", "p50 ms", "p99 ms", "req/s", "goal (p50 / p99 / req/s)");
        foreach (var scenario in scenarios)
        {
            await RunAsync(http, scenario, settings.Concurrency, TimeSpan.FromSeconds(3), cancellationToken);
            var (latencies, failed, elapsed) = await RunAsync(http, scenario, settings.Concurrency, TimeSpan.FromSeconds(settings.Duration), cancellationToken);
            latencies.Sort();
            var p50 = Percentile(latencies, 0.50);
            var p99 = Percentile(latencies, 0.99);
            var rps = latencies.Count / elapsed.TotalSeconds;
            var met = p50 <= scenario.Goal.P50Ms && p99 <= scenario.Goal.P99Ms && rps >= scenario.Goal.MinRps;
            table.AddRow(Markup.Escape(scenario.Name), $"{latencies.Count:N0}", $"{failed:N0}", $"{p50:0.00}", $"{p99:0.00}", $"{rps:N0}",
                $"≤ {scenario.Goal.P50Ms} / ≤ {scenario.Goal.P99Ms} / ≥ {scenario.Goal.MinRps:N0} {(met ? "[green]met[/]" : "[red]MISSED[/]")}");
        }
        AnsiConsole.Write(table);
        return 0;
    }

    private static async Task<(List<double> Latencies, long Failed, TimeSpan Elapsed)> RunAsync(HttpClient http, Scenario scenario,
        int concurrency, TimeSpan duration, CancellationToken ct)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var started = Stopwatch.GetTimestamp();
        var workers = Enumerable.Range(0, concurrency).Select(async worker =>
        {
            var rng = new Random(worker * 7919 + 1);
            var latencies = new List<double>(100_000);
            long failed = 0;
            while (Stopwatch.GetTimestamp() < deadline)
            {
                var t0 = Stopwatch.GetTimestamp();
                using var response = await http.GetAsync(scenario.Url(rng), HttpCompletionOption.ResponseContentRead, ct);
                var ms = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                if (response.IsSuccessStatusCode) latencies.Add(ms);
                else failed++;
            }
            return (latencies, failed);
        }).ToArray();
        var results = await Task.WhenAll(workers);
        var elapsed = Stopwatch.GetElapsedTime(started);
        return (results.SelectMany(r => r.latencies).ToList(), results.Sum(r => r.failed), elapsed);
    }

    private static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];
}
