using Microsoft.EntityFrameworkCore;

namespace CarRecommender.Core.Data;

/// <summary>The product's database: catalogue, users, interactions and the vectors the pipelines learn.</summary>
public sealed class CarRecommenderDb(DbContextOptions<CarRecommenderDb> options) : DbContext(options)
{
    /// <summary>The Aspire connection name every service uses for this database.</summary>
    public const string ConnectionName = "carrecommender";

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.HasPostgresExtension("vector");
    }
}
