using CarRecommender.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace CarRecommender.Core.Tests;

public sealed class ModelTests
{
    [Fact]
    public void Model_requires_the_vector_extension()
    {
        using var db = new DesignTimeDbFactory().CreateDbContext([]);
        var script = db.Database.GenerateCreateScript();
        Assert.Contains("CREATE EXTENSION IF NOT EXISTS vector", script, StringComparison.Ordinal);
    }

    [Fact]
    public void Model_has_no_pending_changes_against_the_migrations()
    {
        using var db = new DesignTimeDbFactory().CreateDbContext([]);
        Assert.False(db.Database.HasPendingModelChanges(), "run 'dotnet ef migrations add' for the model change");
    }
}
