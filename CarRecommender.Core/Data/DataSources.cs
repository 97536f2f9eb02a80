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
}
