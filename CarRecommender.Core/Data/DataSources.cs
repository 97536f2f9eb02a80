using Npgsql;
using Pgvector.Npgsql;

namespace CarRecommender.Core.Data;

public static class DataSources
{
    /// <summary>
    /// An Npgsql data source that knows the pgvector types (EF and raw SQL share it). Its sessions run with PostgreSQL's
    /// JIT off: every query here is short or index-driven, and JIT compiling one whose estimate crosses
    /// <c>jit_above_cost</c> costs 100–200 ms for a few milliseconds of work (measured on the admin overview's
    /// events-per-minute query at 1,000,000 listings). The connection string's own <c>Options</c> are kept.
    /// </summary>
    public static NpgsqlDataSource Create(string connectionString)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        builder.ConnectionStringBuilder.Options = WithJitOff(builder.ConnectionStringBuilder.Options);
        builder.UseVector();
        return builder.Build();
    }

    private static string WithJitOff(string? options) =>
        options is { Length: > 0 } && options.Contains("jit=", StringComparison.OrdinalIgnoreCase) ? options : $"{options} -c jit=off".Trim();

    /// <summary>
    /// Starts a binary COPY with no client-side timeout: finishing a COPY of millions of rows (index and foreign-key
    /// work at the end) outlasts the connection's command timeout, and the caller's transaction bounds it anyway.
    /// </summary>
    public static async Task<NpgsqlBinaryImporter> BeginBulkCopyAsync(this NpgsqlConnection conn, string copyCommand, CancellationToken ct)
    {
        var writer = await conn.BeginBinaryImportAsync(copyCommand, ct);
        writer.Timeout = TimeSpan.Zero;
        return writer;
    }
}
