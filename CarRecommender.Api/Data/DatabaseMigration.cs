using System.Diagnostics;
using CarRecommender.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace CarRecommender.Api.Data;

public static partial class DatabaseMigration
{
    /// <summary>
    /// Applies pending EF migrations (the first one creates the <c>vector</c> extension). EF takes a database lock
    /// while migrating, so several API replicas starting together are safe.
    /// </summary>
    public static async Task MigrateDatabaseAsync(this WebApplication app)
    {
        var sw = Stopwatch.StartNew();
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CarRecommenderDb>();
        var pending = (await db.Database.GetPendingMigrationsAsync()).ToList();
        // a migration may rebuild an HNSW index over a large catalogue: minutes, not the 30 s default
        db.Database.SetCommandTimeout(TimeSpan.FromMinutes(30));
        await db.Database.MigrateAsync();
        LogMigrated(app.Logger, pending.Count, sw.ElapsedMilliseconds);
    }

    [LoggerMessage(EventId = 1000, Level = LogLevel.Information, Message = "Database schema up to date ({Applied} migrations applied in {ElapsedMs} ms)")]
    private static partial void LogMigrated(ILogger logger, int applied, long elapsedMs);
}
