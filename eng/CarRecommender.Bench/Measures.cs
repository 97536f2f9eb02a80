using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Aspire.Hosting;
using Npgsql;

/// <summary>
/// What more than one benchmark uses: its options, a demo token, a goal's verdict, a service's peak memory, an event's
/// way to a refreshed list.
/// </summary>
public static class Measures
{
    /// <summary>The value after <paramref name="name"/> on the command line, or null.</summary>
    public static string? TextOption(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    public static int Option(string[] args, string name, int fallback) =>
        int.TryParse(TextOption(args, name), out var v) ? v : fallback;

    /// <summary>A demo token for the user with <paramref name="email"/> (POST /api/auth/token).</summary>
    public static async Task<string> TokenAsync(HttpClient anon, string email)
    {
        using var response = await anon.PostAsJsonAsync("/api/auth/token", new { email });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString()!;
    }

    public static string Goal(bool met, string goal) => $"{goal} {(met ? "[green]met[/]" : "[red]MISSED[/]")}";

    /// <summary>
    /// The peak resident memory (the kernel's VmHWM, Linux's peak working set) of a resource's process: the largest in
    /// the process tree DCP started for it (<c>dotnet run</c>'s wrapper, if any, is small), in bytes; null when unknown.
    /// </summary>
    public static long? PeakWorkingSet(DistributedApplication app, string resource)
    {
        if (!app.ResourceNotifications.TryGetCurrentState(resource, out var state)
            || state.Snapshot.Properties.SingleOrDefault(p => p.Name == "executable.pid")?.Value is not { } value) return null;
        var root = Convert.ToInt32(value, CultureInfo.InvariantCulture);
        var children = new Dictionary<int, List<int>>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try
            {
                // /proc/PID/stat: "pid (comm) state ppid ..."; comm may hold spaces, so read after its closing parenthesis
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                var parent = int.Parse(fields[1], CultureInfo.InvariantCulture);
                if (!children.TryGetValue(parent, out var list)) children[parent] = list = [];
                list.Add(pid);
            }
            catch (IOException)
            {
                // the process ended meanwhile
            }
        }
        long? peak = null;
        var pending = new Stack<int>([root]);
        while (pending.TryPop(out var pid))
        {
            if (Hwm(pid) is { } hwm && hwm > (peak ?? 0)) peak = hwm;
            foreach (var child in children.GetValueOrDefault(pid) ?? []) pending.Push(child);
        }
        return peak;
    }

    private static long? Hwm(int pid)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
            return line is null ? null : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>A row's value for a peak working set against its goal in MB.</summary>
    public static (string Value, string Goal) Memory(long? bytes, double goalMb) => bytes is { } b
        ? ($"{b / 1048576.0:N0} MB", Goal(b / 1048576.0 <= goalMb, $"≤ {goalMb:N0} MB"))
        : ("not found", Goal(false, $"≤ {goalMb:N0} MB"));

    /// <summary>
    /// Posts one save as the user (<paramref name="http"/> carries their token) and returns the seconds until that user's
    /// stored list was computed from the vectors the event produced (the content pipeline applied it, and the list's
    /// vectors_as_of matches the user's). Throws <see cref="TimeoutException"/> after 60 s, saying where it stuck.
    /// </summary>
    public static async Task<double> EventToListAsync(HttpClient http, NpgsqlDataSource db, long userId, long listingId)
    {
        var eventId = Guid.NewGuid();
        var sw = Stopwatch.StartNew();
        using (var response = await http.PostAsJsonAsync("/api/events", new { eventId, listingId, type = "save" }))
            response.EnsureSuccessStatusCode();
        await using var check = db.CreateCommand("""
            SELECT EXISTS (SELECT 1 FROM recommendations r JOIN users u ON u.id = r.user_id
                           JOIN processed_events p ON p.pipeline = 'content' AND p.event_id = $2
                           WHERE r.user_id = $1 AND r.vectors_as_of = u.vectors_updated_at AND r.computed_at >= p.processed_at)
            """);
        check.Parameters.AddWithValue(userId);
        check.Parameters.AddWithValue(eventId);
        while (!(bool)(await check.ExecuteScalarAsync())!)
        {
            if (sw.Elapsed > TimeSpan.FromSeconds(60))
            {
                // say where it stuck: not applied by the pipeline, or applied but the list not recomputed
                await using var state = db.CreateCommand("""
                    SELECT coalesce((SELECT processed_at FROM processed_events WHERE pipeline = 'content' AND event_id = $2)::text, 'not applied') || ' / '
                           || coalesce((SELECT vectors_updated_at FROM users WHERE id = $1)::text, '-') || ' / '
                           || coalesce((SELECT computed_at::text || ' as of ' || coalesce(vectors_as_of::text, '-') FROM recommendations WHERE user_id = $1), 'no list')
                    """);
                state.Parameters.AddWithValue(userId);
                state.Parameters.AddWithValue(eventId);
                throw new TimeoutException($"user {userId}'s list was not refreshed within 60 s (event applied at / vectors updated at / list: {await state.ExecuteScalarAsync()})");
            }
            await Task.Delay(5);
        }
        return sw.Elapsed.TotalSeconds;
    }

    /// <summary>The value at quantile <paramref name="q"/> of sorted values (NaN when empty).</summary>
    public static double Quantile(List<double> sorted, double q) => sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)(q * sorted.Count))];
}
