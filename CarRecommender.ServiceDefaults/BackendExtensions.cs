using CarRecommender.Core.Data;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.Extensions.Hosting;

/// <summary>The two backends every CarRecommender service talks to, registered the same way everywhere.</summary>
public static class BackendExtensions
{
    /// <summary>The Aspire connection name of the RabbitMQ broker.</summary>
    public const string MessagingConnectionName = "messaging";

    /// <summary>
    /// The database as a pooled <see cref="CarRecommenderDb"/> with pgvector types, enriched by Aspire with a health
    /// check, traces and metrics. EF's retrying execution strategy is off: with the database down it held each request
    /// for about a minute; the API answers 503 at once instead, and the worker retries its batches itself.
    /// </summary>
    public static TBuilder AddCarRecommenderDb<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        var connectionString = builder.Configuration.GetConnectionString(CarRecommenderDb.ConnectionName)
            ?? throw new InvalidOperationException(
                $"ConnectionStrings:{CarRecommenderDb.ConnectionName} is missing: start the system through the AppHost.");
        // One data source with the pgvector type mapping, shared by EF and by raw SQL (COPY, ANN queries).
        builder.Services.AddSingleton(_ => DataSources.Create(connectionString));
        builder.Services.AddDbContextPool<CarRecommenderDb>((sp, o) => CarRecommenderDb.Configure(o, sp.GetRequiredService<Npgsql.NpgsqlDataSource>()));
        builder.EnrichNpgsqlDbContext<CarRecommenderDb>(s => s.DisableRetry = true);
        return builder;
    }

    /// <summary>The RabbitMQ connection (a singleton <c>IConnection</c>) with Aspire's health check and tracing.</summary>
    public static TBuilder AddCarRecommenderMessaging<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.AddRabbitMQClient(MessagingConnectionName);
        return builder;
    }
}
