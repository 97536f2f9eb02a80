using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;

namespace CarRecommender.AppHost.Infrastructure;

/// <summary>
/// Dashboard commands on the pipelines resource that run the command line's verbs (CarRecommender.Cli: <c>seed</c>, …)
/// against the system's database. Their output, progress included, goes to the pipelines resource's console log.
/// </summary>
public static class CatalogueCommands
{
#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif

    public static IResourceBuilder<ProjectResource> WithCatalogueCommands(this IResourceBuilder<ProjectResource> pipelines,
        IResourceBuilder<IResourceWithConnectionString> database)
    {
        pipelines.WithCliCommand(database, "seed-demo", "Reseed demo catalogue (20k)", "DatabaseArrowUp",
            "Replace every listing, user and interaction with the 20,000-listing demo catalogue?",
            ["seed", "--listings", "20000", "--users", "2000", "--reset"]);
        pipelines.WithCliCommand(database, "seed-1m", "Seed 1M listings", "DatabaseStack",
            "Replace every listing, user and interaction with 1,000,000 generated listings and 10,000 users (about 3 minutes)?",
            ["seed", "--listings", "1000000", "--users", "10000", "--reset"]);
        pipelines.WithCliCommand(database, "train", "Retrain ALS now", "BrainCircuit",
            "Retrain the collaborative model on the whole interaction log now?",
            ["train", "--trigger", "dashboard"]);
        return pipelines;
    }

    /// <summary>A dashboard command that runs <c>CarRecommender.Cli -- ARGS</c> with the database's connection string.</summary>
    public static IResourceBuilder<ProjectResource> WithCliCommand(this IResourceBuilder<ProjectResource> pipelines,
        IResourceBuilder<IResourceWithConnectionString> database, string name, string displayName, string icon, string confirmation,
        string[] args)
    {
        return pipelines.WithCommand(name, displayName, async context =>
        {
            var logger = context.Services.GetRequiredService<ResourceLoggerService>().GetLogger(pipelines.Resource);
            var connection = await database.Resource.ConnectionStringExpression.GetValueAsync(context.CancellationToken);
            var exit = await RunCliAsync(connection, args, logger, context.CancellationToken);
            return exit == 0
                ? CommandResults.Success()
                : CommandResults.Failure($"'{string.Join(' ', args)}' ended with exit code {exit}: see the pipelines console log");
        }, new CommandOptions
        {
            IconName = icon,
            ConfirmationMessage = confirmation,
            Description = "Runs: dotnet run --project CarRecommender.Cli -- " + string.Join(' ', args),
            UpdateState = s => s.ResourceSnapshot.HealthStatus == HealthStatus.Healthy ? ResourceCommandState.Enabled : ResourceCommandState.Disabled,
        });
    }

    private static async Task<int> RunCliAsync(string? connection, string[] args, ILogger logger, CancellationToken ct)
    {
        var projectPath = new Projects.CarRecommender_Cli().ProjectPath;
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(projectPath)!,
        };
        foreach (var a in (string[])["run", "--no-build", "--no-launch-profile", "-c", Configuration, "--project", projectPath, "--", .. args])
            start.ArgumentList.Add(a);
        // in the environment, not on the command line: the connection string carries the password
        start.Environment["ConnectionStrings__carrecommender"] = connection;
        start.Environment["DOTNET_NOLOGO"] = "1";

        logger.LogInformation("dashboard command: {Command}", string.Join(' ', args));
        using var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) logger.LogInformation("{Line}", e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) logger.LogError("{Line}", e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await process.WaitForExitAsync(ct);
        }
        catch (OperationCanceledException)
        {
            // the CLI's transaction rolls back when it dies
            process.Kill(entireProcessTree: true);
            throw;
        }
        return process.ExitCode;
    }
}
