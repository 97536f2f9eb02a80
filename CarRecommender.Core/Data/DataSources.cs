using Npgsql;
using Pgvector.Npgsql;

namespace CarRecommender.Core.Data;

public static class DataSources
{
    /// <summary>An Npgsql data source that knows the pgvector types (EF and raw SQL share it).</summary>
    public static NpgsqlDataSource Create(string connectionString)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        builder.UseVector();
        return builder.Build();
    }

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
