using System.ComponentModel;
using CarRecommender.Core.Data;
using CarRecommender.Core.Seeding;
using Spectre.Console;
using Spectre.Console.Cli;

namespace CarRecommender.Cli.Commands;

public sealed class SeedSettings : DatabaseSettings
{
    [CommandOption("--listings <N>")]
    [Description("Listings to generate (default 20,000)")]
    public int Listings { get; init; } = 20_000;

    [CommandOption("--users <N>")]
    [Description("Users to generate, the demo user and the admin included (default 2,000)")]
    public int Users { get; init; } = 2_000;

    [CommandOption("--seed <N>")]
    [Description("Random seed: the same seed and day give the same catalogue (default 42)")]
    public int Seed { get; init; } = 42;

    [CommandOption("--no-history")]
    [Description("Skip the generated interaction history (by default three in four users get ~90 days of browsing)")]
    public bool NoHistory { get; init; }

    [CommandOption("--reset")]
    [Description("Replace the catalogue: deletes every listing, user and interaction first (in the same transaction)")]
    public bool Reset { get; init; }

    public override ValidationResult Validate()
    {
        if (Listings is < 0 or > 20_000_000) return ValidationResult.Error("--listings must be from 0 to 20,000,000");
        if (Users is < 2 or > 5_000_000) return ValidationResult.Error("--users must be from 2 (the demo user and the admin) to 5,000,000");
        return ValidationResult.Success();
    }
}

public sealed class SeedCommand : AsyncCommand<SeedSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, SeedSettings settings, CancellationToken cancellationToken)
    {
        await using var dataSource = await settings.OpenDatabaseAsync(cancellationToken);
        if (!settings.Reset)
        {
            await using var check = dataSource.CreateCommand("SELECT (SELECT count(*) FROM listings) + (SELECT count(*) FROM users)");
            var rows = (long)(await check.ExecuteScalarAsync(cancellationToken))!;
            if (rows > 0)
                throw new CliException($"the database already holds {rows:N0} listings and users; pass --reset to replace them " +
                                       "(deletes every listing, user and interaction)");
        }

        var now = DateTimeOffset.UtcNow;
        var generator = new CatalogueGenerator(settings.Seed, now.Date);
        var listings = generator.Listings(settings.Listings).ToList();
        var users = generator.Users(settings.Users).ToList();
        var history = settings.NoHistory || listings.Count == 0 ? null : DemoHistory.Plan(listings, users, settings.Seed, now);
        var report = await ProgressReporter.RunAsync(progress => CatalogueLoader.LoadAsync(dataSource,
            listings, listings.Count, users, users.Count, settings.Reset, progress, cancellationToken, history));

        var table = new Table().AddColumns("figure", "value");
        table.AddRow("listings loaded", $"{report.Listings:N0}");
        table.AddRow("users loaded", $"{report.Users:N0}");
        table.AddRow("past interactions loaded", $"{report.Interactions:N0} ({report.HistoryTime.TotalSeconds:0.0} s, profiles and trending included)");
        table.AddRow("load time (COPY)", $"{report.LoadTime.TotalSeconds:0.0} s");
        table.AddRow("listings/s", $"{report.Listings / Math.Max(0.001, report.LoadTime.TotalSeconds):N0}");
        table.AddRow("index build time (HNSW + ANALYZE)", $"{report.IndexTime.TotalSeconds:0.0} s");
        AnsiConsole.Write(table);
        return 0;
    }
}
