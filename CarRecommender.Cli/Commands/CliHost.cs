using Spectre.Console.Cli;

namespace CarRecommender.Cli.Commands;

/// <summary>The command-line verbs: <c>dotnet run --project CarRecommender.Cli -- VERB …</c>.</summary>
public static class CliHost
{
    public static async Task<int> RunAsync(string[] args)
    {
        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            // first Ctrl+C cancels the work (rolled back by its transaction); a second one ends the process
            if (cancel.IsCancellationRequested) return;
            e.Cancel = true;
            cancel.Cancel();
        };
        var app = new CommandApp();
        app.Configure(c =>
        {
            c.SetApplicationName("dotnet run --project CarRecommender.Cli --");
            c.AddCommand<SeedCommand>("seed")
                .WithDescription("Generate a realistic catalogue (listings with content vectors, users) and bulk-load it")
                .WithExample("seed", "--listings", "1000000", "--users", "10000", "--reset");
            c.AddCommand<ImportCommand>("import")
                .WithDescription("Import a catalogue CSV, through the running API (default) or straight into a database")
                .WithExample("import", "--file", "cars.csv", "--map", "Hersteller=make", "--map", "km=mileage");
            c.AddCommand<TrainCommand>("train")
                .WithDescription("Retrain the collaborative model (implicit ALS) on the interaction log now and swap its factors in")
                .WithExample("train", "--search-seconds", "120");
            c.AddCommand<AdminCommand>("admin")
                .WithDescription("Give an operator their own console credentials (password read from standard input), or --revoke them")
                .WithExample("admin", "--email", "ops@example.com");
            c.AddCommand<RecallCommand>("bench-recall")
                .WithDescription("Recall@k of the listings' HNSW index against exact search, per ef_search");
            c.AddCommand<ApiBenchCommand>("bench-api")
                .WithDescription("Latency (p50/p99) and throughput of listing reads and filtered searches against a running API");
            c.AddCommand<RetrainBenchCommand>("bench-retrain")
                .WithDescription("An ALS retrain under load against a running API: latency before vs during, failures, and every user's vector vs a fresh fold-in");
            c.AddCommand<AlsBenchCommand>("bench-als")
                .WithDescription("ALS training time on generated implicit feedback (1M and 10M pairs, 64 factors, 15 iterations by default)");
            c.AddCommand<RankBenchCommand>("bench-rank")
                .WithDescription("The learned ranker's added latency for 200 candidates and the market price model's training time on 1,000,000 generated listings");
            c.AddCommand<EvaluateCommand>("evaluate")
                .WithDescription("Offline evaluation on a held-out split: most-popular, item-kNN, and ALS, EASE and the hybrid as production self-tunes them (P/R/NDCG/MAP@K, coverage, novelty, diversity)")
                .WithExample("evaluate", "--input", "ratings.csv", "--min-value", "4", "--protocol", "per-user")
                .WithExample("evaluate", "--generate", "5000", "--tune");
            c.AddCommand<PriceModelCommand>("price-model")
                .WithDescription("Train and cross-validate the market price model (gradient-boosted trees, one per currency) on a catalogue file: MAE and APE against the median of similar cars")
                .WithExample("price-model", "--input", "cars.csv", "--currency", "GBP")
                .WithExample("price-model", "--generate", "100000", "--json");
            c.PropagateExceptions();
        });
        try
        {
            return await app.RunAsync(EvaluateCommand.NormaliseArguments(args), cancel.Token);
        }
        catch (OperationCanceledException)
        {
            Spectre.Console.AnsiConsole.MarkupLine("[yellow]cancelled: nothing was committed[/]");
            return 130;
        }
        catch (CommandAppException ex)
        {
            Spectre.Console.AnsiConsole.MarkupLineInterpolated($"[red]error:[/] {ex.Message}");
            return 2;
        }
        catch (CliException ex)
        {
            Spectre.Console.AnsiConsole.MarkupLineInterpolated($"[red]error:[/] {ex.Message}");
            return 1;
        }
    }
}

/// <summary>A failure the user can fix: printed as one line, without a stack trace.</summary>
public sealed class CliException(string message) : Exception(message);
