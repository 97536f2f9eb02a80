using System.ComponentModel;
using CarRecommender.Core.Domain;
using CarRecommender.Core.Learning;
using Spectre.Console;
using Spectre.Console.Cli;

namespace CarRecommender.Pipelines.Cli;

public sealed class TrainSettings : DatabaseSettings
{
    [CommandOption("--iterations <N>")]
    public int Iterations { get; init; } = 15;

    [CommandOption("--regularization <LAMBDA>")]
    public double Regularization { get; init; } = 0.1;

    [CommandOption("--alpha <ALPHA>")]
    [Description("Confidence slope: c = 1 + alpha·strength (default 10)")]
    public double Alpha { get; init; } = 10;

    [CommandOption("--trigger <NAME>")]
    [Description("Recorded in model_versions (default cli)")]
    public string Trigger { get; init; } = "cli";

    public override ValidationResult Validate()
    {
        if (Iterations is < 1 or > 100) return ValidationResult.Error("--iterations must be from 1 to 100");
        if (Regularization < 0 || double.IsNaN(Regularization)) return ValidationResult.Error("--regularization must be ≥ 0");
        if (Alpha < 0 || double.IsNaN(Alpha)) return ValidationResult.Error("--alpha must be ≥ 0");
        return ValidationResult.Success();
    }
}

/// <summary>
/// Retrains ALS on the interaction log now and swaps the factors in (as the schedule does). The rank is the
/// latent_vector column size (<see cref="VectorSizes.Latent"/>), since the factors are stored there.
/// </summary>
public sealed class TrainCommand : AsyncCommand<TrainSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, TrainSettings settings, CancellationToken cancellationToken)
    {
        await using var dataSource = await settings.OpenDatabaseAsync(cancellationToken);
        var options = new AlsOptions(VectorSizes.Latent, settings.Iterations, settings.Regularization, settings.Alpha);
        var version = await ProgressReporter.RunAsync(progress =>
            new AlsTrainer(dataSource).TrainAsync(options, settings.Trigger, progress, cancellationToken));
        if (version is null)
        {
            AnsiConsole.MarkupLine("[yellow]no interactions with a positive signal yet: nothing to train on[/]");
            return 0;
        }
        var table = new Table().AddColumns("model", "users", "items", "pairs", "cold items", "train", "total", "loss");
        table.AddRow($"{version.Id}", $"{version.Users:N0}", $"{version.Items:N0}", $"{version.Interactions:N0}", $"{version.ColdItems:N0}",
            $"{version.TrainMs / 1000.0:0.00} s", $"{version.DurationMs / 1000.0:0.00} s", $"{version.Loss:G4}");
        AnsiConsole.Write(table);
        return 0;
    }
}
