using System.Net;
using System.Text.Json;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace CarRecommender.EndToEnd.Tests;

[Collection(AppCollection.Name)]
public sealed class FoundationTests(AppFixture fixture)
{
    [Theory]
    [InlineData("postgres")]
    [InlineData("carrecommender")]
    [InlineData("messaging")]
    [InlineData("api")]
    [InlineData("pipelines")]
    [InlineData("admin")]
    public void Every_resource_is_healthy(string resource)
    {
        Assert.True(fixture.App.ResourceNotifications.TryGetCurrentState(resource, out var e), $"{resource} is not in the app model");
        Assert.Equal(KnownResourceStates.Running, e.Snapshot.State?.Text);
        Assert.Equal(HealthStatus.Healthy, e.Snapshot.HealthStatus);
    }

    [Theory]
    [InlineData("api")]
    [InlineData("pipelines")]
    public async Task Health_endpoint_reports_the_database_and_the_broker(string service)
    {
        using var client = fixture.CreateClient(service);
        using var response = await client.GetAsync(new Uri("/health", UriKind.Relative));
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        using var json = JsonDocument.Parse(body);
        Assert.Equal("Healthy", json.RootElement.GetProperty("status").GetString());
        var checks = json.RootElement.GetProperty("checks").EnumerateObject().ToDictionary(p => p.Name, p => p.Value);
        Assert.Contains(checks, c => c.Key.Contains("CarRecommenderDb", StringComparison.Ordinal)
                                     && c.Value.GetProperty("status").GetString() == "Healthy");
        Assert.Contains(checks, c => c.Key.Contains("RabbitMQ", StringComparison.OrdinalIgnoreCase)
                                     && c.Value.GetProperty("status").GetString() == "Healthy");
    }

    [Fact]
    public async Task The_admin_console_is_healthy_without_a_database_or_broker_check_of_its_own()
    {
        // it has neither connection: the console reads everything through the API
        using var client = fixture.CreateClient("admin");
        using var response = await client.GetAsync(new Uri("/health", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("Healthy", json.RootElement.GetProperty("status").GetString());
        var checks = json.RootElement.GetProperty("checks").EnumerateObject().Select(p => p.Name).ToList();
        Assert.DoesNotContain(checks, c => c.Contains("CarRecommenderDb", StringComparison.Ordinal) || c.Contains("Npgsql", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(checks, c => c.Contains("RabbitMQ", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task Alive_endpoint_answers_without_the_backends()
    {
        using var client = fixture.CreateClient("api");
        using var response = await client.GetAsync(new Uri("/alive", UriKind.Relative));
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.DoesNotContain("RabbitMQ", body, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task First_migration_installs_pgvector_0_8_or_newer()
    {
        await using var conn = new NpgsqlConnection(await fixture.ConnectionStringAsync("carrecommender"));
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT extversion FROM pg_extension WHERE extname = 'vector'", conn);
        var version = (string?)await cmd.ExecuteScalarAsync();
        Assert.NotNull(version);
        Assert.True(Version.Parse(version) >= new Version(0, 8, 0), $"pgvector {version} is older than 0.8.0");

        await using var history = new NpgsqlCommand("SELECT count(*) FROM \"__EFMigrationsHistory\"", conn);
        Assert.True((long)(await history.ExecuteScalarAsync())! >= 1);
    }

    [Fact]
    public async Task The_services_data_source_runs_its_sessions_with_jit_off()
    {
        var cs = await fixture.ConnectionStringAsync("carrecommender");
        await using (var plain = new NpgsqlConnection(cs))
        {
            await plain.OpenAsync();
            await using var show = new NpgsqlCommand("SHOW jit", plain);
            Assert.Equal("on", (string?)await show.ExecuteScalarAsync()); // the server's default, which the services change
        }
        await using var source = CarRecommender.Core.Data.DataSources.Create(cs);
        await using var cmd = source.CreateCommand("SHOW jit");
        Assert.Equal("off", (string?)await cmd.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Admin_console_serves_its_MudBlazor_sign_in_page()
    {
        // the pages themselves need a signed-in admin: AdminConsoleTests drives them in a browser
        using var client = fixture.CreateClient("admin");
        var html = await client.GetStringAsync(new Uri("/", UriKind.Relative));
        Assert.Matches(@"_content/MudBlazor/MudBlazor\.min(\.\w+)?\.css", html);
        Assert.Contains("mud-paper", html, StringComparison.Ordinal);
        Assert.Contains("id=\"password\"", html, StringComparison.Ordinal);
    }
}
