using System.Diagnostics;
using CarRecommender.Core.Data;
using CarRecommender.Core.Seeding;
using Npgsql;

namespace CarRecommender.Api.Data;

/// <summary>Settings under <c>Seed</c> for the demo catalogue loaded into an empty database at start-up.</summary>
public sealed class DemoSeedOptions
{
    public bool OnEmptyDatabase { get; set; } = true;
    public int Listings { get; set; } = 20_000;
    public int Users { get; set; } = 2_000;
    public int Seed { get; set; } = 42;
    /// <summary>Also load a generated interaction history (so trending, ALS and reasons have something to show).</summary>
    public bool History { get; set; } = true;
}

public static partial class DemoData
{
    /// <summary>Loads the demo catalogue when the database has no listings, so a first start has something to show.</summary>
    public static async Task SeedDemoDataIfEmptyAsync(this WebApplication app)
    {
        var options = app.Configuration.GetSection("Seed").Get<DemoSeedOptions>() ?? new DemoSeedOptions();
        if (!options.OnEmptyDatabase) return;
        var dataSource = app.Services.GetRequiredService<NpgsqlDataSource>();
        await using (var check = dataSource.CreateCommand("SELECT EXISTS (SELECT 1 FROM listings) OR EXISTS (SELECT 1 FROM users)"))
        {
            if ((bool)(await check.ExecuteScalarAsync())!) return;
        }
        var sw = Stopwatch.StartNew();
        var now = DateTimeOffset.UtcNow;
        var generator = new CatalogueGenerator(options.Seed, now.Date);
        var listings = generator.Listings(options.Listings).ToList();
        // the well-known demo admin only in Development; elsewhere the first operator comes from Admin:Email (AdminBootstrap)
        var users = generator.Users(options.Users).Where(u => app.Environment.IsDevelopment() || u.Email != CatalogueGenerator.AdminEmail).ToList();
        var report = await CatalogueLoader.LoadAsync(dataSource, listings, listings.Count, users, users.Count, reset: false, progress: null,
            CancellationToken.None, options.History ? DemoHistory.Plan(listings, users, options.Seed, now) : null);
        LogSeeded(app.Logger, report.Listings, report.Users, report.Interactions, sw.ElapsedMilliseconds);
    }

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Empty database: seeded {Listings} demo listings, {Users} users and {Interactions} past interactions in {ElapsedMs} ms")]
    private static partial void LogSeeded(ILogger logger, long listings, long users, long interactions, long elapsedMs);
}
