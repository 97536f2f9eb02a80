using System.Diagnostics;
using System.Globalization;
using Npgsql;

namespace CarRecommender.EndToEnd.Tests;

public sealed record CliResult(int ExitCode, string Output);

/// <summary>Runs the built command line with a verb, as <c>dotnet run --project CarRecommender.Cli -- …</c> would.</summary>
public static class Cli
{
    /// <summary>A project's built assembly, in the configuration these tests were built in.</summary>
    public static string BuiltDll(string projectPath, string assembly)
    {
#if DEBUG
        const string configuration = "Debug";
#else
        const string configuration = "Release";
#endif
        return Path.Combine(Path.GetDirectoryName(projectPath)!, "bin", configuration, "net10.0", assembly);
    }

    public static Task<CliResult> RunAsync(string? connection, params string[] args) => RunAsync(connection, TimeSpan.FromMinutes(3), args);

    public static Task<CliResult> RunAsync(string? connection, TimeSpan timeout, params string[] args) => RunAsync(connection, timeout, null, args);

    /// <summary>Runs a verb with <paramref name="input"/> as its standard input (a password, say).</summary>
    public static Task<CliResult> RunWithInputAsync(string? connection, string input, params string[] args) => RunAsync(connection, TimeSpan.FromMinutes(3), input, args);

    private static async Task<CliResult> RunAsync(string? connection, TimeSpan timeout, string? input, string[] args)
    {
        var dll = BuiltDll(new Projects.CarRecommender_Cli().ProjectPath, "CarRecommender.Cli.dll");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = input is not null,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(dll);
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment.Remove("ConnectionStrings__carrecommender");
        if (connection is not null) start.Environment["ConnectionStrings__carrecommender"] = connection;
        using var process = Process.Start(start)!;
        if (input is not null)
        {
            await process.StandardInput.WriteLineAsync(input);
            process.StandardInput.Close();
        }
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(timeout);
        await process.WaitForExitAsync(deadline.Token);
        return new CliResult(process.ExitCode, await stdout + await stderr);
    }
}

/// <summary>Direct reads of the app's database, for assertions.</summary>
public static class Db
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, NpgsqlDataSource> Sources = new();

    /// <summary>A connection that knows the pgvector types.</summary>
    public static ValueTask<NpgsqlConnection> OpenAsync(string cs) => Source(cs).OpenConnectionAsync();

    /// <summary>The test's data source for a connection string (pgvector types known).</summary>
    public static NpgsqlDataSource Source(string cs) => Sources.GetOrAdd(cs, Core.Data.DataSources.Create);

    /// <summary>Drops pooled connections (after the test restarted PostgreSQL they are dead).</summary>
    public static void ClearPools()
    {
        foreach (var source in Sources.Values) source.Clear();
    }

    public static async Task<T> ScalarAsync<T>(string cs, string sql, params object[] parameters)
    {
        await using var conn = await OpenAsync(cs);
        await using var cmd = new NpgsqlCommand(sql, conn);
        foreach (var p in parameters) cmd.Parameters.Add(new NpgsqlParameter { Value = p });
        return (T)Convert.ChangeType((await cmd.ExecuteScalarAsync())!, typeof(T), CultureInfo.InvariantCulture);
    }

    /// <summary>Polls a condition until it holds or the timeout passes (the pipelines work asynchronously).</summary>
    public static async Task<bool> EventuallyAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (await condition()) return true;
            if (DateTime.UtcNow > deadline) return false;
            await Task.Delay(100);
        }
    }
}

/// <summary>
/// The figures the reliability tests measured (events sent/applied, hostile requests and their answers), one line per
/// scenario, in a file eng/test.sh prints after the run (xUnit does not show console output of passing tests).
/// </summary>
public static class Report
{
    public static readonly string FilePath = Environment.GetEnvironmentVariable("CARRECOMMENDER_TEST_REPORT")
                                             ?? Path.Combine(Path.GetTempPath(), "carrecommender-test-report.txt");

    private static readonly Lock Gate = new();

    public static void Line(string text)
    {
        Console.WriteLine(text);
        lock (Gate) File.AppendAllText(FilePath, text + Environment.NewLine);
    }
}

/// <summary>
/// One more instance of a built service (the API or the worker) as its own process, next to the AppHost's, on the same
/// database and broker: for tests that need a process of their own to stop, signal or start with other settings.
/// </summary>
public sealed class ServiceProcess : IDisposable
{
    private readonly Process _process;
    private readonly System.Text.StringBuilder _output = new();

    private ServiceProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>Everything the process wrote so far.</summary>
    public string Output
    {
        get
        {
            lock (_output) return _output.ToString();
        }
    }

    public int Id => _process.Id;
    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;

    /// <summary>Starts <paramref name="assembly"/> of the project with the given environment (null removes a variable).</summary>
    public static ServiceProcess Start(string projectPath, string assembly, IReadOnlyDictionary<string, string?> environment)
    {
        var dll = Cli.BuiltDll(projectPath, assembly);
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { dll },
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (name, value) in environment)
        {
            if (value is null) start.Environment.Remove(name);
            else start.Environment[name] = value;
        }
        return new ServiceProcess(Process.Start(start)!);
    }

    /// <summary>Waits until <paramref name="ready"/> holds, failing with the process's output if it exits or takes too long.</summary>
    public async Task WaitUntilAsync(Func<string, Task<bool>> ready, TimeSpan timeout, string what)
    {
        var sw = Stopwatch.StartNew();
        while (!await ready(Output))
        {
            if (_process.HasExited) throw new InvalidOperationException($"the process exited ({_process.ExitCode}) before {what}:\n{Output}");
            if (sw.Elapsed > timeout) throw new TimeoutException($"{what} did not happen within {timeout.TotalSeconds} s:\n{Output}");
            await Task.Delay(200);
        }
    }

    /// <summary>
    /// An API of its own on a free port: on <paramref name="database"/> and <paramref name="messaging"/>, with a signing key
    /// of its own, in <paramref name="environment"/>, plus <paramref name="settings"/> (null removes one); returned once it
    /// answers /alive, with a client for it. Dispose both.
    /// </summary>
    public static async Task<(ServiceProcess Process, HttpClient Http)> StartApiAsync(string database, string messaging, string environment,
        IReadOnlyDictionary<string, string?>? settings = null)
    {
        var port = FreePort();
        var variables = new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = environment,
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
            ["ConnectionStrings__carrecommender"] = database,
            ["ConnectionStrings__messaging"] = messaging,
            ["Auth__SigningKey"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(48)),
        };
        foreach (var (name, value) in settings ?? new Dictionary<string, string?>()) variables[name] = value;
        var process = Start(new Projects.CarRecommender_Api().ProjectPath, "CarRecommender.Api.dll", variables);
        var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
        try
        {
            await process.WaitUntilAsync(_ => IsAliveAsync(http), TimeSpan.FromSeconds(90), $"the {environment} API answering /alive");
        }
        catch
        {
            http.Dispose();
            process.Dispose();
            throw;
        }
        return (process, http);
    }

    /// <summary>
    /// A worker of its own on <paramref name="database"/> and <paramref name="messaging"/>, plus <paramref name="settings"/>;
    /// returned once every pipeline consumes its queue. Dispose it (SIGKILL) or <see cref="Interrupt"/> it.
    /// </summary>
    public static async Task<ServiceProcess> StartWorkerAsync(string database, string messaging, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var variables = new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{FreePort()}",
            ["ConnectionStrings__carrecommender"] = database,
            ["ConnectionStrings__messaging"] = messaging,
            // as the fixture's worker: a start-up retrain tunes for 20 s, not 300 (AppFixture says why)
            ["Als__Search__MaxSeconds"] = "20",
        };
        foreach (var (name, value) in settings ?? new Dictionary<string, string?>()) variables[name] = value;
        var process = Start(new Projects.CarRecommender_Pipelines().ProjectPath, "CarRecommender.Pipelines.dll", variables);
        try
        {
            var pipelines = Core.Events.EventTopology.PipelineQueues.Length;
            await process.WaitUntilAsync(output => Task.FromResult(output.Split("pipeline consuming").Length - 1 >= pipelines), TimeSpan.FromSeconds(90),
                "every pipeline consuming its queue");
        }
        catch
        {
            process.Dispose();
            throw;
        }
        return process;
    }

    /// <summary>A free local TCP port for the process to listen on.</summary>
    public static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>True when the service behind <paramref name="http"/> answers its liveness endpoint.</summary>
    public static async Task<bool> IsAliveAsync(HttpClient http)
    {
        try
        {
            using var r = await http.GetAsync("/alive");
            return r.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    /// <summary>Sends SIGINT, what Ctrl+C in a terminal sends.</summary>
    public void Interrupt()
    {
        using var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-INT", _process.Id.ToString(CultureInfo.InvariantCulture) } })!;
        kill.WaitForExit();
        if (kill.ExitCode != 0) throw new InvalidOperationException($"kill -INT {_process.Id} failed");
    }

    /// <summary>The exit code; a process still running after <paramref name="timeout"/> fails with its output and, when dotnet-stack is at hand, its threads' stacks.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"process {Id} still running {timeout.TotalSeconds} s on:\n{await StacksAsync()}\n{Output}");
        }
        return _process.ExitCode;
    }

    private async Task<string> StacksAsync()
    {
        var tool = Environment.GetEnvironmentVariable("DOTNET_STACK_TOOL") ?? "/tmp/dt/dotnet-stack";
        if (!File.Exists(tool)) return "(no dotnet-stack for the threads' stacks)";
        using var stack = Process.Start(new ProcessStartInfo(tool) { ArgumentList = { "report", "-p", Id.ToString(CultureInfo.InvariantCulture) }, RedirectStandardOutput = true })!;
        var text = await stack.StandardOutput.ReadToEndAsync();
        await stack.WaitForExitAsync();
        return text;
    }

    private bool _disposed;

    /// <summary>Kills the process (SIGKILL) if it still runs; a second call does nothing.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
        _process.Dispose();
    }
}
