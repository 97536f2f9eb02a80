using Microsoft.Extensions.Configuration;

namespace CarRecommender.AppHost.Infrastructure;

/// <summary>The two backing services every project references, whichever way they run.</summary>
public static class BackingServices
{
    public const string PostgresName = "postgres";
    public const string DatabaseName = "carrecommender";
    public const string MessagingName = "messaging";

    /// <summary>pgvector on PostgreSQL 17 for containers and azd (pgvector ≥ 0.8 for iterative index scans).</summary>
    public const string PgvectorImage = "pgvector/pgvector";
    public const string PgvectorTag = "0.8.0-pg17";

    public static (IResourceBuilder<IResourceWithConnectionString> Database, IResourceBuilder<IResourceWithConnectionString> Messaging)
        AddBackingServices(this IDistributedApplicationBuilder builder)
    {
        var kind = InfraMode.Resolve(builder);
        if (kind == InfraKind.Containers)
        {
            var postgres = builder.AddPostgres(PostgresName).WithImage(PgvectorImage, PgvectorTag);
            var rabbit = builder.AddRabbitMQ(MessagingName);
            if (builder.ExecutionContext.IsRunMode)
            {
                postgres.WithDataVolume();
                rabbit.WithDataVolume();
            }
            return (postgres.AddDatabase(DatabaseName), rabbit);
        }

        var dataRoot = DataRoot(builder);
        var local = builder.AddLocalPostgres(PostgresName, dataRoot);
        return (local.AddDatabase(DatabaseName), builder.AddLocalRabbitMQ(MessagingName, dataRoot));
    }

    /// <summary><c>LocalInfra:DataRoot</c>, relative to the AppHost folder; default <c>../.data</c> (git-ignored).</summary>
    public static string DataRoot(IDistributedApplicationBuilder builder)
    {
        var configured = builder.Configuration["LocalInfra:DataRoot"];
        var root = string.IsNullOrWhiteSpace(configured) ? Path.Combine("..", ".data") : configured;
        return Path.GetFullPath(Path.Combine(builder.AppHostDirectory, root));
    }
}

public static class SecretExtensions
{
    /// <summary>A secret parameter with a generated default (48 characters), stored in user secrets in run mode.</summary>
    public static IResourceBuilder<ParameterResource> AddGeneratedSecret(this IDistributedApplicationBuilder builder, string name)
    {
        return builder.AddParameter(name, new GenerateParameterDefault { MinLength = 48, Special = false }, secret: true, persist: true);
    }
}
