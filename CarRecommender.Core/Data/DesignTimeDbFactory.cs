using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace CarRecommender.Core.Data;

/// <summary>Lets <c>dotnet ef migrations add</c> build the model without a running database.</summary>
public sealed class DesignTimeDbFactory : IDesignTimeDbContextFactory<CarRecommenderDb>
{
    public CarRecommenderDb CreateDbContext(string[] args) => Create("Host=localhost;Database=carrecommender");

    /// <summary>A context outside dependency injection (CLI tools, tests).</summary>
    public static CarRecommenderDb Create(string connectionString)
    {
        var options = new DbContextOptionsBuilder<CarRecommenderDb>();
        CarRecommenderDb.Configure(options, DataSources.Create(connectionString));
        return new CarRecommenderDb(options.Options);
    }
}
