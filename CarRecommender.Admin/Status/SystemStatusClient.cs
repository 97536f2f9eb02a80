using System.Net.Http.Json;
using System.Text.Json.Serialization;

namespace CarRecommender.Admin.Status;

/// <summary>One backend as the admin console sees it.</summary>
public sealed record BackendStatus(string Name, bool Healthy, string Detail);

/// <summary>
/// Asks the API how it is, for the overview page: the API itself, and PostgreSQL and RabbitMQ as the API's health
/// checks see them (the console has no connection of its own to either).
/// </summary>
public sealed class SystemStatusClient(HttpClient http)
{
    public async Task<IReadOnlyList<BackendStatus>> GetAsync(CancellationToken ct)
    {
        string why;
        try
        {
            using var response = await http.GetAsync(new Uri("/health", UriKind.Relative), ct);
            var report = await response.Content.ReadFromJsonAsync<HealthReportDto>(ct);
            var checks = report?.Checks ?? [];
            var summary = string.Join(", ", checks.Select(c => $"{c.Key}: {c.Value.Status}"));
            return
            [
                new BackendStatus("API", response.IsSuccessStatusCode, $"{report?.Status ?? "unknown"} ({summary})"),
                Backend("PostgreSQL", checks, "CarRecommenderDb"),
                Backend("RabbitMQ", checks, "RabbitMQ"),
            ];
        }
        catch (Exception ex) when (ex is HttpRequestException or System.Text.Json.JsonException)
        {
            why = "unreachable: " + ex.Message;
        }
        catch (OperationCanceledException)
        {
            why = "no answer in time";
        }
        // a hung or unreachable API says nothing of the backends behind it
        return
        [
            new BackendStatus("API", false, why),
            new BackendStatus("PostgreSQL", false, "unknown: the API did not answer"),
            new BackendStatus("RabbitMQ", false, "unknown: the API did not answer"),
        ];
    }

    private static BackendStatus Backend(string name, Dictionary<string, HealthEntryDto> checks, string check)
    {
        var entry = checks.FirstOrDefault(c => c.Key.Contains(check, StringComparison.OrdinalIgnoreCase));
        return entry.Value is null
            ? new BackendStatus(name, false, "the API reports no check of it")
            : new BackendStatus(name, entry.Value.Status == "Healthy", $"{entry.Value.Status}, as the API sees it");
    }

    private sealed record HealthReportDto(
        [property: JsonPropertyName("status")] string Status,
        [property: JsonPropertyName("checks")] Dictionary<string, HealthEntryDto>? Checks);

    private sealed record HealthEntryDto([property: JsonPropertyName("status")] string Status);
}
