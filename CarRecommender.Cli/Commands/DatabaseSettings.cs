using System.ComponentModel;
using CarRecommender.Core.Data;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Spectre.Console.Cli;

namespace CarRecommender.Cli.Commands;

/// <summary>Settings of verbs that work on the database directly.</summary>
public class DatabaseSettings : CommandSettings
{
    /// <summary>The environment variable Aspire sets for the database reference (and the CLI reads as a fallback).</summary>
    public const string ConnectionVariable = "ConnectionStrings__carrecommender";

    [CommandOption("--connection <CONNECTION_STRING>")]
    [Description("Npgsql connection string. Default: the ConnectionStrings__carrecommender environment variable")]
    public string? Connection { get; init; }

    public string? ResolveConnectionString() =>
        string.IsNullOrWhiteSpace(Connection) ? Environment.GetEnvironmentVariable(ConnectionVariable) : Connection;

    /// <summary>Opens the database, applying any pending migration first (the same ones the API applies).</summary>
    public async Task<NpgsqlDataSource> OpenDatabaseAsync(CancellationToken ct)
    {
        var cs = ResolveConnectionString();
        if (string.IsNullOrWhiteSpace(cs))
            throw new CliException($"no database: pass --connection \"Host=…;Port=…;Database=…;Username=…;Password=…\" or set {ConnectionVariable}. " +
                                   "While the system runs, use the dashboard commands on the pipelines resource instead.");
        try
        {
            await using (var db = DesignTimeDbFactory.Create(cs))
                await db.Database.MigrateAsync(ct);
        }
        catch (Exception ex) when (ex is NpgsqlException or ArgumentException or InvalidOperationException && ex is not OperationCanceledException)
        {
            throw new CliException($"cannot open the database: {ex.Message}");
        }
        return DataSources.Create(cs);
    }
}
