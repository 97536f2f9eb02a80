using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CarRecommender.EndToEnd.Tests;

/// <summary>
/// Starts the whole AppHost once for every test in the collection: real PostgreSQL + pgvector and RabbitMQ
/// (local processes unless E2E_INFRA_MODE says otherwise), in a throw-away data folder.
/// </summary>
public sealed class AppFixture : IAsyncLifetime
{
    public static readonly string[] ServiceNames = ["api", "pipelines", "admin"];
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(5);

    private readonly string _dataRoot = Path.Combine(Path.GetTempPath(), "carrec-e2e-" + Guid.NewGuid().ToString("N")[..8]);

    public DistributedApplication App { get; private set; } = null!;
    public TimeSpan HealthyAfter { get; private set; }

    public async Task InitializeAsync()
    {
        var sw = Stopwatch.StartNew();
        using var cts = new CancellationTokenSource(StartTimeout);
        var mode = Environment.GetEnvironmentVariable("E2E_INFRA_MODE") ?? "Executables";
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.CarRecommender_AppHost>(
            [$"--LocalInfra:DataRoot={_dataRoot}", $"--LocalInfra:Mode={mode}"], cts.Token);
        builder.Services.AddLogging(l => l
            .SetMinimumLevel(LogLevel.Information)
            .AddFilter("Aspire.", LogLevel.Warning)
            .AddFilter("Microsoft.", LogLevel.Warning)
            .AddProvider(new CapturingLoggerProvider(ServiceLogs)));
        // The outage tests post 20,000 events from four shoppers to build a backlog: the per-user event rate limit (100 a
        // second, charged per event) would spread that over minutes. The limit itself is tested on an API of its own
        // with the defaults (HostileInputTests).
        builder.CreateResourceBuilder<ProjectResource>("api")
            .WithEnvironment("RateLimits__Events__PerSecond", "1000000").WithEnvironment("RateLimits__Events__Burst", "1000000");
        // Every retrain tunes itself for up to Als:Search:MaxSeconds (300 s) first: the worker's start-up retrains (the outage
        // tests start several workers) and the jobs tests' retrains held the trainer's lock for minutes each. The tests check
        // that retrains happen and serve, not the search's depth (ModelSearchTests cover that), so a worker here tunes for 20 s.
        builder.CreateResourceBuilder<ProjectResource>("pipelines").WithEnvironment("Als__Search__MaxSeconds", "20").WithEnvironment("Ranker__RetrainMinutes", "0");
        // The ranker retrains only when a test asks (RankerTrainingTests): a scheduled model would change other tests' lists.
        // The worker trains the demo catalogue's price model at start-up, beside the ALS retrain and the seed's list
        // refreshes: the tests check that estimates, ratings and versions appear, not the model's last per cent of accuracy
        // (PricingTests in Core cover that), so the worker fits 100 trees on 2 folds here.
        builder.CreateResourceBuilder<ProjectResource>("pipelines").WithEnvironment("Pricing__Trees", "100").WithEnvironment("Pricing__Folds", "2");
        // A configured boost, as an operator sets one (both services rank): LPG cars ×1.3, named in their explanations.
        foreach (var service in new[] { "api", "pipelines" })
            builder.CreateResourceBuilder<ProjectResource>(service)
                .WithEnvironment("Recommendations__Rules__Boosts__0__When", BoostWhen).WithEnvironment("Recommendations__Rules__Boosts__0__Factor", "1.3");
        // The marketplace identity provider: a key set the tests serve and sign with (IdentityTests), found by discovery.
        Identity = await TestIdentityProvider.StartAsync();
        builder.CreateResourceBuilder<ProjectResource>("api")
            .WithEnvironment("Auth__External__Authority", Identity.Issuer)
            .WithEnvironment("Auth__External__Issuer", Identity.Issuer)
            .WithEnvironment("Auth__External__Audience", TestIdentityProvider.Audience)
            .WithEnvironment("Auth__External__RequireHttpsMetadata", "false");
        App = await builder.BuildAsync(cts.Token);
        await App.StartAsync(cts.Token);
        foreach (var name in ServiceNames)
            await App.ResourceNotifications.WaitForResourceHealthyAsync(name, cts.Token);
        HealthyAfter = sw.Elapsed;
        Console.WriteLine($"[e2e] all services healthy after {HealthyAfter.TotalSeconds:F1} s");

        // Tokens up front: one test exhausts the token endpoint's rate limit on purpose.
        DemoToken = await TokenAsync(DemoEmail);
        AdminToken = await TokenAsync(AdminEmail);
        var generated = await GeneratedUsersAsync(23);
        OtherUserEmail = generated[0].Email;
        OtherUserToken = await TokenAsync(OtherUserEmail);
        foreach (var (id, email) in generated.Skip(1).Take(19)) ShopperTokens.Add((id, await TokenAsync(email)));
        AdminConsoleUserId = generated[20].Id;
        ShutdownUserEmail = generated[21].Email;
        SessionShopper = (generated[22].Id, await TokenAsync(generated[22].Email));
    }

    /// <summary>
    /// Tokens of 19 generated shoppers without a seeded history. Each test class keeps to its own: events 0–4,
    /// recommendations 5–10, outages 11–15, hostile input 16–18 (a shopper with thousands of events would no longer
    /// show one event's effect).
    /// </summary>
    public List<(long UserId, string Token)> ShopperTokens { get; } = [];

    /// <summary>One more shopper without history, kept for the admin console's browser test (no other test touches it).</summary>
    public long AdminConsoleUserId { get; private set; }

    /// <summary>One more shopper without history, for the graceful-shutdown test's own API process.</summary>
    public string ShutdownUserEmail { get; private set; } = "";

    /// <summary>The configured boost's expression (factor 1.3).</summary>
    public const string BoostWhen = "car.Fuel == \"Lpg\"";

    /// <summary>The engine settings the system under test runs with (the defaults and the boost above).</summary>
    public static readonly Core.Recommendation.Rules.EngineSettings Settings = Core.Recommendation.Rules.EngineSettings.Default with
    {
        Rules = new Core.Recommendation.Rules.BusinessRules { Boosts = [new Core.Recommendation.Rules.Boost(BoostWhen, 1.3)] },
    };
    /// <summary>One more shopper without history, who signs in after browsing anonymously (SessionTests' merge).</summary>
    public (long UserId, string Token) SessionShopper { get; private set; }

    public const string DemoEmail = "demo@example.com";
    public const string AdminEmail = "admin@example.com";
    /// <summary>The AppHost's run-mode default of the admin-password parameter (the admin console's sign-in).</summary>
    public const string AdminPassword = "carrecommender-admin";
    public string DemoToken { get; private set; } = "";
    public string AdminToken { get; private set; } = "";
    public string OtherUserToken { get; private set; } = "";
    public string OtherUserEmail { get; private set; } = "";

    /// <summary>The marketplace identity provider the API trusts (Auth:External), run by the tests.</summary>
    public TestIdentityProvider Identity { get; private set; } = null!;

    /// <summary>A token of the marketplace identity provider for this subject, signed with its published key.</summary>
    public string ExternalToken(string subject, string? email, string? name) => Identity.Token(subject, email, name);

    /// <summary>
    /// Every log line the host saw, the services' console output included (the testing host forwards each resource's
    /// logs under the category "….Resources.{name}"), for tests that check what must never be logged.
    /// </summary>
    public System.Collections.Concurrent.ConcurrentQueue<(string Category, string Message)> ServiceLogs { get; } = new();

    /// <summary>An API client, authenticated when a token is given.</summary>
    public HttpClient Api(string? token = null)
    {
        var client = App.CreateHttpClient("api");
        if (token is not null) client.DefaultRequestHeaders.Authorization = new("Bearer", token);
        return client;
    }

    private async Task<string> TokenAsync(string email)
    {
        using var client = Api();
        using var response = await client.PostAsJsonAsync("/api/auth/token", new { email });
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        return body.GetProperty("accessToken").GetString()!;
    }

    private async Task<List<(long Id, string Email)>> GeneratedUsersAsync(int count)
    {
        await using var conn = new Npgsql.NpgsqlConnection(await ConnectionStringAsync("carrecommender"));
        await conn.OpenAsync();
        await using var cmd = new Npgsql.NpgsqlCommand("SELECT id, email FROM users WHERE role = 'User' AND email <> @demo AND interaction_count = 0 ORDER BY id LIMIT @n", conn);
        cmd.Parameters.AddWithValue("demo", DemoEmail);
        cmd.Parameters.AddWithValue("n", count);
        var result = new List<(long, string)>();
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync()) result.Add((reader.GetInt64(0), reader.GetString(1)));
        return result;
    }

    public HttpClient CreateClient(string resource) => App.CreateHttpClient(resource);

    /// <summary>Kills a resource's process tree (SIGKILL), as a crash or an evicted pod would end it, and waits until it is down.</summary>
    public async Task KillResourceAsync(string resource)
    {
        Assert.True(App.ResourceNotifications.TryGetCurrentState(resource, out var state));
        var pid = Convert.ToInt32(state!.Snapshot.Properties.Single(p => p.Name == "executable.pid").Value, System.Globalization.CultureInfo.InvariantCulture);
        Process.GetProcessById(pid).Kill(entireProcessTree: true);
        using var down = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await App.ResourceNotifications.WaitForResourceAsync(resource, KnownResourceStates.TerminalStates, down.Token);
    }

    /// <summary>
    /// Stops a resource as an orchestrator would: the stop command (SIGTERM), 45 s of grace, then the process tree is
    /// killed. DCP gives up on a slow stop after about 10 s and never reports the resource as stopped, so a plain wait
    /// could hang the run; a kill here is reported, and every test that stops a resource also holds after a SIGKILL.
    /// </summary>
    public async Task StopResourceAsync(string resource)
    {
        await App.ResourceCommands.ExecuteCommandAsync(resource, KnownResourceCommands.StopCommand);
        using (var grace = new CancellationTokenSource(TimeSpan.FromSeconds(45)))
        {
            try
            {
                await App.ResourceNotifications.WaitForResourceAsync(resource, KnownResourceStates.TerminalStates, grace.Token);
                return;
            }
            catch (OperationCanceledException)
            {
                // still running: kill it below
            }
        }
        if (App.ResourceNotifications.TryGetCurrentState(resource, out var state)
            && state.Snapshot.Properties.SingleOrDefault(p => p.Name == "executable.pid")?.Value is { } pid)
        {
            try
            {
                Process.GetProcessById(Convert.ToInt32(pid, System.Globalization.CultureInfo.InvariantCulture)).Kill(entireProcessTree: true);
            }
            catch (ArgumentException)
            {
                // exited meanwhile
            }
        }
        Report.Line($"[shutdown] {resource} did not stop within 45 s of the stop command: killed");
        using var after = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await App.ResourceNotifications.WaitForResourceAsync(resource, KnownResourceStates.TerminalStates, after.Token);
    }

    public async Task<string> ConnectionStringAsync(string resource) =>
        await App.GetConnectionStringAsync(resource) ?? throw new InvalidOperationException($"{resource} has no connection string");

    public async Task DisposeAsync()
    {
        if (App is not null) await App.DisposeAsync();
        if (Identity is not null) await Identity.DisposeAsync();
        // the services' logs next to the report, so a failed run (in CI too) can be read afterwards
        if (Environment.GetEnvironmentVariable("CARRECOMMENDER_TEST_REPORT") is { } report)
            await File.WriteAllLinesAsync(Path.Combine(Path.GetDirectoryName(report)!, "service-logs.txt"),
                ServiceLogs.Where(l => l.Category.Contains(".Resources.", StringComparison.Ordinal)).Select(l => $"{l.Category[(l.Category.LastIndexOf('.') + 1)..]}: {l.Message}"));
        try
        {
            Directory.Delete(_dataRoot, recursive: true);
        }
        catch (IOException)
        {
            // a file still held by a stopping process: the folder is in /tmp and harmless
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}

[CollectionDefinition(Name)]
public sealed class AppCollection : ICollectionFixture<AppFixture>
{
    public const string Name = "app";
}

/// <summary>Keeps every log message (category and text) in a queue.</summary>
public sealed class CapturingLoggerProvider(System.Collections.Concurrent.ConcurrentQueue<(string Category, string Message)> sink) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new Capturing(categoryName, sink);

    public void Dispose()
    {
    }

    private sealed class Capturing(string category, System.Collections.Concurrent.ConcurrentQueue<(string, string)> sink) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            sink.Enqueue((category, formatter(state, exception) + (exception is null ? "" : " " + exception)));
    }
}
