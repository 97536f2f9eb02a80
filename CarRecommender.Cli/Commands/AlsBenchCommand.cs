using System.ComponentModel;
using System.Diagnostics;
using CarRecommender.Core.Data;
using CarRecommender.Core.Learning;
using Spectre.Console;
using Spectre.Console.Cli;

namespace CarRecommender.Cli.Commands;

public sealed class AlsBenchSettings : CommandSettings
{
    [CommandOption("--scales <LIST>")]
    [Description("Which sizes to time, comma-separated: 1m (1,000,000 interactions, 50,000 users × 20,000 items, goal ≤ 5 s) "
        + "and 10m (10,000,000 interactions, 500,000 users × 100,000 items, goal ≤ 60 s); default both")]
    public string Scales { get; init; } = "1m,10m";

    [CommandOption("--factors <K>")]
    public int Factors { get; init; } = 64;

    [CommandOption("--iterations <N>")]
    public int Iterations { get; init; } = 15;

    public override ValidationResult Validate() =>
        ParseScales().All(s => s is not null) ? ValidationResult.Success() : ValidationResult.Error($"--scales takes {string.Join(", ", AlsBenchCommand.Sizes.Select(s => s.Name))}");

    public IReadOnlyList<AlsBenchCommand.Size?> ParseScales() =>
        Scales.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(name => AlsBenchCommand.Sizes.FirstOrDefault(s => s.Name.Equals(name, StringComparison.OrdinalIgnoreCase))).ToArray();
}

/// <summary>
/// Times ALS training alone (no database) on generated implicit feedback with a long-tailed item popularity, as a
/// marketplace log has: the figure behind the retrain schedule, at today's size and at ten times it.
/// </summary>
public sealed class AlsBenchCommand : AsyncCommand<AlsBenchSettings>
{
    public sealed record Size(string Name, string Label, int Interactions, int Users, int Items, double GoalSeconds);

    public static readonly IReadOnlyList<Size> Sizes =
    [
        new("1m", "1M", 1_000_000, 50_000, 20_000, 5),
        new("10m", "10M", 10_000_000, 500_000, 100_000, 60),
    ];

    public override Task<int> ExecuteAsync(CommandContext context, AlsBenchSettings settings, CancellationToken cancellationToken)
    {
        var table = new Table().AddColumns("figure", "value", "goal");
        table.AddRow("factors, iterations", $"{settings.Factors}, {settings.Iterations}", "");
        table.AddRow("cores", $"{Environment.ProcessorCount}", "");
        foreach (var size in settings.ParseScales().OfType<Size>())
        {
            AnsiConsole.MarkupLine($"[grey]{size.Label}: generating {size.Interactions:N0} interactions and training…[/]");
            Run(table, size, settings, cancellationToken);
        }
        AnsiConsole.Write(table);
        return Task.FromResult(0);
    }

    private static void Run(Table table, Size size, AlsBenchSettings settings, CancellationToken ct)
    {
        var matrix = Generate(size);
        var options = new AlsOptions(settings.Factors, settings.Iterations);

        var losses = new List<double>();
        var sw = Stopwatch.StartNew();
        ImplicitAls.Train(matrix, options, new SyncProgress<(int Iteration, double Loss)>(p => losses.Add(p.Loss)), ct);
        sw.Stop();
        // the loss is computed after every iteration for the progress display; time it separately and report training alone
        var lossTimer = Stopwatch.StartNew();
        ImplicitAls.Loss(matrix, new float[size.Users * settings.Factors], new float[size.Items * settings.Factors], options);
        var lossCost = lossTimer.Elapsed.TotalSeconds * settings.Iterations;

        table.AddRow($"[bold]{size.Label}[/]: pairs (after merging duplicates)", $"{matrix.NonZeros:N0}", "");
        table.AddRow($"{size.Label}: users × items", $"{size.Users:N0} × {size.Items:N0}", "");
        var train = sw.Elapsed.TotalSeconds - lossCost;
        table.AddRow($"{size.Label}: training time (without per-iteration loss)", $"{train:0.00} s",
            $"≤ {size.GoalSeconds} s {(train <= size.GoalSeconds ? "[green]met[/]" : "[red]MISSED[/]")}");
        table.AddRow($"{size.Label}: training time (with per-iteration loss)", $"{sw.Elapsed.TotalSeconds:0.00} s", "");
        table.AddRow($"{size.Label}: loss first → last", $"{losses[0]:G4} → {losses[^1]:G4}", "decreasing");
    }

    /// <summary>Item popularity ~ Zipf(0.8) by inverse-CDF sampling over a precomputed table; strengths 1–5.</summary>
    private static SparseMatrix Generate(Size size)
    {
        var rng = new Random(42);
        var triples = new List<(int, int, float)>(size.Interactions);
        var cumulative = new double[size.Items];
        double sum = 0;
        for (var i = 0; i < size.Items; i++) cumulative[i] = sum += 1 / Math.Pow(i + 1, 0.8);
        for (var n = 0; n < size.Interactions; n++)
        {
            var item = Array.BinarySearch(cumulative, rng.NextDouble() * sum);
            triples.Add((rng.Next(size.Users), item < 0 ? ~item : item, 1 + rng.Next(5)));
        }
        return SparseMatrix.FromTriples(size.Users, size.Items, triples);
    }
}
