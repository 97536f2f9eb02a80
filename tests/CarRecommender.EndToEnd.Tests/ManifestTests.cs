using System.Diagnostics;
using System.Text.Json;

namespace CarRecommender.EndToEnd.Tests;

/// <summary>The azd path: publish mode must describe stock containers, never the local-process resources.</summary>
public sealed class ManifestTests
{
    [Fact]
    public async Task Manifest_holds_pgvector_postgres_rabbitmq_and_the_three_projects()
    {
        var root = RepoRoot();
        var output = Path.Combine(Path.GetTempPath(), "carrec-manifest-" + Guid.NewGuid().ToString("N")[..8], "aspire-manifest.json");
        try
        {
            var psi = new ProcessStartInfo("dotnet")
            {
                WorkingDirectory = root,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            foreach (var a in new[] { "run", "--project", "CarRecommender.AppHost", "--no-build", "-c", BuildConfiguration,
                         "--", "--publisher", "manifest", "--output-path", output })
                psi.ArgumentList.Add(a);
            using var p = Process.Start(psi)!;
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            await p.WaitForExitAsync(cts.Token);
            Assert.True(p.ExitCode == 0, $"manifest generation failed:\n{await stdout}\n{await stderr}");

            using var manifest = JsonDocument.Parse(await File.ReadAllTextAsync(output));
            var resources = manifest.RootElement.GetProperty("resources").EnumerateObject()
                .ToDictionary(r => r.Name, r => r.Value);

            Assert.StartsWith("container.", Type(resources["postgres"]), StringComparison.Ordinal);
            Assert.Contains("pgvector/pgvector", resources["postgres"].GetProperty("image").GetString(), StringComparison.Ordinal);
            // the database is a connection-string value on top of the postgres container
            Assert.Contains("{postgres.", resources["carrecommender"].GetProperty("connectionString").GetString(), StringComparison.Ordinal);
            Assert.StartsWith("container.", Type(resources["messaging"]), StringComparison.Ordinal);
            Assert.Contains("rabbitmq", resources["messaging"].GetProperty("image").GetString(), StringComparison.Ordinal);
            foreach (var project in AppFixture.ServiceNames)
                Assert.StartsWith("project.", Type(resources[project]), StringComparison.Ordinal);
            Assert.DoesNotContain(resources.Values, r => Type(r).StartsWith("executable.", StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(output)!, recursive: true);
        }
    }

    private static string Type(JsonElement resource) => resource.GetProperty("type").GetString()!;

#if DEBUG
    private const string BuildConfiguration = "Debug";
#else
    private const string BuildConfiguration = "Release";
#endif

    internal static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "CarRecommender.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("CarRecommender.sln not found above the test folder");
    }
}
