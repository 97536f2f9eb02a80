using HealthChecks.NpgSql;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace CarRecommender.AppHost.Infrastructure;

/// <summary>A PostgreSQL server run as a plain local process (no container runtime needed).</summary>
public sealed class LocalPostgresServerResource(string name, string command, string workingDirectory, ParameterResource password)
    : ExecutableResource(name, command, workingDirectory), IResourceWithConnectionString
{
    internal const string PrimaryEndpointName = "tcp";
    private EndpointReference? _primary;

    public ParameterResource PasswordParameter { get; } = password;
    public EndpointReference PrimaryEndpoint => _primary ??= new(this, PrimaryEndpointName);
    internal Dictionary<string, string> Databases { get; } = new(StringComparer.OrdinalIgnoreCase);

    // Same shape as Aspire's PostgresServerResource connection string, so services cannot tell the difference.
    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"Host={PrimaryEndpoint.Property(EndpointProperty.Host)};Port={PrimaryEndpoint.Property(EndpointProperty.Port)};Username=postgres;Password={PasswordParameter}");
}

/// <summary>A database inside a <see cref="LocalPostgresServerResource"/>.</summary>
public sealed class LocalPostgresDatabaseResource(string name, string databaseName, LocalPostgresServerResource parent)
    : Resource(name), IResourceWithParent<LocalPostgresServerResource>, IResourceWithConnectionString
{
    public LocalPostgresServerResource Parent { get; } = parent;
    public string DatabaseName { get; } = databaseName;
    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create($"{Parent};Database={DatabaseName}");
}

public static class LocalPostgresExtensions
{
    /// <summary>
    /// Runs /usr/lib/postgresql/{ver}/bin/postgres. Data folder: {dataRoot}/{name}, initialised on first start and
    /// reused afterwards. As root, the server runs as the 'postgres' OS user (initdb and postgres refuse root).
    /// </summary>
    public static IResourceBuilder<LocalPostgresServerResource> AddLocalPostgres(
        this IDistributedApplicationBuilder builder, [ResourceName] string name, string dataRoot,
        string pgBinDir = "/usr/lib/postgresql/15/bin")
    {
        var password = ParameterResourceBuilderExtensions.CreateDefaultPasswordParameter(builder, $"{name}-password", special: false);
        var dataDir = Path.GetFullPath(Path.Combine(dataRoot, name));
        var server = new LocalPostgresServerResource(name, "/bin/bash", builder.AppHostDirectory, password);

        string? connectionString = null;
        builder.Eventing.Subscribe<ConnectionStringAvailableEvent>(server, async (_, ct) =>
            connectionString = await server.ConnectionStringExpression.GetValueAsync(ct));

        // Create the databases once the server is healthy (ResourceReadyEvent fires after the health checks pass).
        builder.Eventing.Subscribe<ResourceReadyEvent>(server, async (e, ct) =>
        {
            var logger = e.Services.GetRequiredService<ResourceLoggerService>().GetLogger(server);
            await using (var conn = new NpgsqlConnection(connectionString + ";Database=postgres"))
            {
                await conn.OpenAsync(ct);
                foreach (var db in server.Databases.Values)
                {
                    await using var cmd = conn.CreateCommand();
                    cmd.CommandText = $"CREATE DATABASE \"{db.Replace("\"", "\"\"", StringComparison.Ordinal)}\"";
                    try
                    {
                        await cmd.ExecuteNonQueryAsync(ct);
                        logger.LogInformation("Created database {Database}", db);
                    }
                    catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.DuplicateDatabase)
                    {
                        logger.LogInformation("Database {Database} already exists: reusing it", db);
                    }
                }
            }
            // Aspire passes a parent's state to its children only for container parents: publish it ourselves.
            await PublishChildStateAsync(builder, server, e.Services, s => s with
            {
                State = KnownResourceStates.Running,
                StartTimeStamp = DateTime.UtcNow,
            });
        });
        builder.Eventing.Subscribe<ResourceStoppedEvent>(server, (e, _) =>
            PublishChildStateAsync(builder, server, e.Services, s => s with
            {
                State = e.ResourceEvent.Snapshot.State,
                StopTimeStamp = DateTime.UtcNow,
            }));

        var healthKey = $"{name}_check";
        builder.Services.AddHealthChecks().AddNpgSql(
            _ => (connectionString ?? throw new InvalidOperationException("Connection string is unavailable")) + ";Database=postgres",
            name: healthKey);

        return builder.AddResource(server)
            .WithArgs("-c", PostgresScript, "local-postgres")
            .WithEnvironment("PG_BIN", pgBinDir)
            .WithEnvironment("PGDATA", dataDir)
            .WithEnvironment("POSTGRES_PASSWORD", password)
            // Proxyless: DCP picks a free port and hands it over as PGPORT, which postgres reads natively.
            .WithEndpoint(name: LocalPostgresServerResource.PrimaryEndpointName, scheme: "tcp", env: "PGPORT", isProxied: false)
            .WithHealthCheck(healthKey)
            .WithIconName("DatabaseMultiple")
            .ExcludeFromManifest();
    }

    public static IResourceBuilder<LocalPostgresDatabaseResource> AddDatabase(
        this IResourceBuilder<LocalPostgresServerResource> builder, [ResourceName] string name, string? databaseName = null)
    {
        var db = new LocalPostgresDatabaseResource(name, databaseName ?? name, builder.Resource);
        builder.Resource.Databases[name] = db.DatabaseName;

        string? connectionString = null;
        builder.ApplicationBuilder.Eventing.Subscribe<ConnectionStringAvailableEvent>(db, async (_, ct) =>
            connectionString = await db.ConnectionStringExpression.GetValueAsync(ct));
        var healthKey = $"{name}_check";
        builder.ApplicationBuilder.Services.AddHealthChecks().AddNpgSql(
            _ => connectionString ?? throw new InvalidOperationException("Connection string is unavailable"), name: healthKey);

        return builder.ApplicationBuilder.AddResource(db).WithHealthCheck(healthKey).WithIconName("Database").ExcludeFromManifest();
    }

    private static async Task PublishChildStateAsync(IDistributedApplicationBuilder builder, LocalPostgresServerResource server,
        IServiceProvider services, Func<CustomResourceSnapshot, CustomResourceSnapshot> update)
    {
        var notifications = services.GetRequiredService<ResourceNotificationService>();
        foreach (var child in builder.Resources.OfType<LocalPostgresDatabaseResource>().Where(d => d.Parent == server))
            await notifications.PublishUpdateAsync(child, update);
    }

    // bash -c script; $0 = "local-postgres". Env: PG_BIN, PGDATA, PGPORT, POSTGRES_PASSWORD.
    private const string PostgresScript = """
        set -euo pipefail
        AS_PG=()
        if [ "$(id -u)" = 0 ]; then AS_PG=(setpriv --reuid=postgres --regid=postgres --init-groups); fi
        if [ ! -x "$PG_BIN/postgres" ]; then
          echo "PostgreSQL is not installed at $PG_BIN: run eng/install-deps.sh" >&2; exit 1
        fi
        mkdir -p "$PGDATA"
        if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$PGDATA"; fi
        chmod 700 "$PGDATA"
        if ! "${AS_PG[@]}" test -w "$PGDATA"; then
          echo "the postgres OS user cannot reach $PGDATA: every parent folder needs o+x (or set LocalInfra:DataRoot)" >&2; exit 1
        fi
        if [ ! -s "$PGDATA/PG_VERSION" ]; then
          pwfile="$(mktemp)"; printf '%s' "$POSTGRES_PASSWORD" > "$pwfile"
          if [ "$(id -u)" = 0 ]; then chown postgres "$pwfile"; fi
          "${AS_PG[@]}" "$PG_BIN/initdb" -D "$PGDATA" -U postgres --pwfile="$pwfile" \
              --auth-host=scram-sha-256 --auth-local=trust -E UTF8 --no-locale >/dev/null
          rm -f "$pwfile"
          echo "initdb done in $PGDATA"
        else
          echo "reusing the data in $PGDATA"
          # keep the superuser password in step with the AppHost parameter (single-user mode, no network)
          printf "ALTER ROLE postgres PASSWORD '%s';\n" "${POSTGRES_PASSWORD//\'/\'\'}" \
            | "${AS_PG[@]}" "$PG_BIN/postgres" --single -D "$PGDATA" -j postgres >/dev/null
        fi
        # Sized for a 2-core / 24 GiB machine: HNSW builds want maintenance_work_mem; bulk loads want a large WAL.
        "${AS_PG[@]}" "$PG_BIN/postgres" -D "$PGDATA" -c listen_addresses=localhost -k "" \
            -c shared_buffers=1GB -c maintenance_work_mem=2GB -c max_wal_size=8GB -c effective_cache_size=8GB \
            -c max_connections=200 -c max_parallel_maintenance_workers=1 &
        pg=$!
        # DCP stops executables with SIGTERM, which postgres treats as a slow "smart" shutdown: make it a fast one.
        trap 'kill -INT $pg 2>/dev/null; wait $pg; exit 0' TERM INT
        wait $pg
        """;
}
