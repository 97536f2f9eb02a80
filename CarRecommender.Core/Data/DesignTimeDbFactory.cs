using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace CarRecommender.Core.Data;

/// <summary>Lets <c>dotnet ef migrations add</c> build the model without a running database.</summary>
public sealed class DesignTimeDbFactory : IDesignTimeDbContextFactory<CarRecommenderDb>
{
    public CarRecommenderDb CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<CarRecommenderDb>()
            .UseNpgsql("Host=localhost;Database=carrecommender", o => o.UseVector())
            .Options);
}
