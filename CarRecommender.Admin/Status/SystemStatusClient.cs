using System.Net.Http.Json;
using System.Text.Json.Serialization;
using CarRecommender.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace CarRecommender.Admin.Status;

/// <summary>One backend as the admin console sees it.</summary>
public sealed record BackendStatus(string Name, bool Healthy, string Detail);

/// <summary>Asks the database and the API how they are, for the overview page.</summary>
public sealed class SystemStatusClient(HttpClient http, CarRecommenderDb db)
{
    public async Task<IReadOnlyList<BackendStatus>> GetAsync(CancellationToken ct)
    {
        return [await DatabaseAsync(ct), await ApiAsync(ct)];
    }

    private async Task<BackendStatus> DatabaseAsync(CancellationToken ct)
    {
        try
        {
            var version = await db.Database
                .SqlQueryRaw<string>("SELECT extversion AS \"Value\" FROM pg_extension WHERE extname = 'vector'")
                .SingleOrDefaultAsync(ct);
            return version is null
                ? new BackendStatus("PostgreSQL", false, "connected, but the vector extension is missing")
                : new BackendStatus("PostgreSQL", true, $"pgvector {version}");
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or InvalidOperationException or TimeoutException)
        {
            return new BackendStatus("PostgreSQL", false, "unreachable: " + ex.Message);
        }
        catch (OperationCanceledException)
        {
            // a database that accepts connections but does not answer (stalled, overloaded): not healthy either
            return new BackendStatus("PostgreSQL", false, "no answer in time");
        }
    }

    private async Task<BackendStatus> ApiAsync(CancellationToken ct)
    {
        try
        {
            using var response = await http.GetAsync(new Uri("/health", UriKind.Relative), ct);
            var report = await response.Content.ReadFromJsonAsync<HealthReportDto>(ct);
            var checks = report?.Checks is null ? "" : string.Join(", ", report.Checks.Select(c => $"{c.Key}: {c.Value.Status}"));
            return new BackendStatus("API", response.IsSuccessStatusCode, $"{report?.Status ?? "unknown"} ({checks})");
        }
        catch (Exception ex) when (ex is HttpRequestException or System.Text.Json.JsonException)
        {
            return new BackendStatus("API", false, "unreachable: " + ex.Message);
        }
        catch (OperationCanceledException)
        {
            return new BackendStatus("API", false, "no answer in time");
        }
    }

    private sealed record HealthReportDto(
        [property: JsonPropertyName("status")] string Status,
        [property: JsonPropertyName("checks")] Dictionary<string, HealthEntryDto>? Checks);

    private sealed record HealthEntryDto([property: JsonPropertyName("status")] string Status);
}
