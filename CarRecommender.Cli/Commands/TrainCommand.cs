using System.ComponentModel;
using CarRecommender.Core.Domain;
using CarRecommender.Core.Evaluation;
using CarRecommender.Core.Learning;
using Spectre.Console;
using Spectre.Console.Cli;

namespace CarRecommender.Cli.Commands;

public sealed class TrainSettings : DatabaseSettings
{
    [CommandOption("--iterations <N>")]
    [Description("Fix the ALS setting instead of letting the self-tuning choose it (with --regularization, --alpha)")]
    public int? Iterations { get; init; }

    [CommandOption("--regularization <LAMBDA>")]
    public double? Regularization { get; init; }

    [CommandOption("--alpha <ALPHA>")]
    [Description("Confidence slope (binary confidence: c = 1 + alpha on every observed pair)")]
    public double? Alpha { get; init; }

    [CommandOption("--search-seconds <S>")]
    [Description("Time bound of the self-tuning (default 300)")]
    public double SearchSeconds { get; init; } = 300;

    [CommandOption("--trigger <NAME>")]
    [Description("Recorded in model_versions (default cli)")]
    public string Trigger { get; init; } = "cli";

    public override ValidationResult Validate()
    {
        if (Iterations is < 1 or > 100) return ValidationResult.Error("--iterations must be from 1 to 100");
        if (Regularization is < 0 || Regularization is double r && double.IsNaN(r)) return ValidationResult.Error("--regularization must be ≥ 0");
        if (Alpha is < 0 || Alpha is double a && double.IsNaN(a)) return ValidationResult.Error("--alpha must be ≥ 0");
        if (SearchSeconds < 0 || double.IsNaN(SearchSeconds)) return ValidationResult.Error("--search-seconds must be ≥ 0");
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
        var fixedOptions = settings.Iterations is null && settings.Regularization is null && settings.Alpha is null
            ? null
            : ModelSearch.Default with
            {
                Iterations = settings.Iterations ?? ModelSearch.Default.Iterations,
                Regularization = settings.Regularization ?? ModelSearch.Default.Regularization,
                Alpha = settings.Alpha ?? ModelSearch.Default.Alpha,
            };
        var version = await ProgressReporter.RunAsync(progress => new AlsTrainer(dataSource).TrainAsync(fixedOptions,
            new ModelSearchSettings { MaxSeconds = settings.SearchSeconds }, settings.Trigger, progress, cancellationToken));
        if (version is null)
        {
            AnsiConsole.MarkupLine("[yellow]no interactions with a positive signal yet: nothing to train on[/]");
            return 0;
        }
        var table = new Table().AddColumns("model", "users", "items", "pairs", "cold items", "train", "total", "loss", "validation NDCG@10");
        table.AddRow($"{version.Id}", $"{version.Users:N0}", $"{version.Items:N0}", $"{version.Interactions:N0}", $"{version.ColdItems:N0}",
            $"{version.TrainMs / 1000.0:0.00} s", $"{version.DurationMs / 1000.0:0.00} s", $"{version.Loss:G4}",
            version.ValidationNdcg is { } ndcg ? $"{ndcg:0.0000}" : "no search");
        AnsiConsole.Write(table);
        return 0;
    }
}
