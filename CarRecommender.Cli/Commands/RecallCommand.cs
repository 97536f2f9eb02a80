using System.ComponentModel;
using CarRecommender.Core.Data;
using Spectre.Console;
using Spectre.Console.Cli;

namespace CarRecommender.Cli.Commands;

public sealed class RecallSettings : DatabaseSettings
{
    [CommandOption("--ef-search <LIST>")]
    [Description("Comma-separated hnsw.ef_search values to try (default 40,100,200; the database default is 200)")]
    public string EfSearch { get; init; } = "40,100,200";

    [CommandOption("--queries <N>")]
    [Description("Sampled listings used as queries (default 200)")]
    public int Queries { get; init; } = 200;

    [CommandOption("-k|--top <N>")]
    [Description("Neighbours compared per query (default 10)")]
    public int K { get; init; } = 10;

    [CommandOption("--goal <RECALL>")]
    [Description("Recall to meet, shown next to each figure (default 0.95)")]
    public double Goal { get; init; } = 0.95;

    public int[] EfSearchValues() => EfSearch.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        .Select(s => int.TryParse(s, out var v) && v is >= 1 and <= 1000 ? v : throw new CliException($"'{s}' is not an ef_search value (1–1000)"))
        .ToArray();
}

public sealed class RecallCommand : AsyncCommand<RecallSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, RecallSettings settings, CancellationToken cancellationToken)
    {
        var efs = settings.EfSearchValues();
        await using var dataSource = await settings.OpenDatabaseAsync(cancellationToken);
        var results = await ProgressReporter.RunAsync(progress =>
            AnnRecall.MeasureAsync(dataSource, efs, settings.Queries, settings.K, 42, progress, cancellationToken));

        var table = new Table().AddColumns("ef_search", $"recall@{settings.K}", "goal", "ANN ms/query", "exact ms/query");
        foreach (var r in results)
            table.AddRow($"{r.EfSearch}", $"{r.Recall:0.000}", $"≥ {settings.Goal:0.00} {(r.Recall >= settings.Goal ? "met" : "MISSED")}",
                $"{r.MeanAnnMs:0.00}", $"{r.MeanExactMs:0.0}");
        AnsiConsole.Write(table);
        return 0;
    }
}
