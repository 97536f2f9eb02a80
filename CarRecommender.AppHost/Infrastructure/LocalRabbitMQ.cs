using HealthChecks.RabbitMQ;
using Microsoft.Extensions.DependencyInjection;
using RabbitMQ.Client;

namespace CarRecommender.AppHost.Infrastructure;

/// <summary>A RabbitMQ broker run as a plain local process (Debian's rabbitmq-server, no container runtime).</summary>
public sealed class LocalRabbitMQServerResource(string name, string command, string workingDirectory, ParameterResource userName, ParameterResource password)
    : ExecutableResource(name, command, workingDirectory), IResourceWithConnectionString
{
    internal const string PrimaryEndpointName = "tcp";
    private EndpointReference? _primary;

    public ParameterResource UserNameParameter { get; } = userName;
    public ParameterResource PasswordParameter { get; } = password;
    public EndpointReference PrimaryEndpoint => _primary ??= new(this, PrimaryEndpointName);

    // Same shape as Aspire's RabbitMQServerResource connection string.
    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"amqp://{UserNameParameter:uri}:{PasswordParameter:uri}@{PrimaryEndpoint.Property(EndpointProperty.Host)}:{PrimaryEndpoint.Property(EndpointProperty.Port)}");
}

public static class LocalRabbitMQExtensions
{
    /// <summary>
    /// Runs /usr/lib/rabbitmq/bin/rabbitmq-server in the foreground with all state under {dataRoot}/{name}, its own epmd
    /// on a private port, and AMQP / distribution / epmd ports allocated by Aspire. Durable queues and persistent
    /// messages survive a restart; the broker's database is reset only when the credentials change.
    /// </summary>
    public static IResourceBuilder<LocalRabbitMQServerResource> AddLocalRabbitMQ(
        this IDistributedApplicationBuilder builder, [ResourceName] string name, string dataRoot)
    {
        var user = builder.AddParameter($"{name}-username", "guest").Resource;
        var password = ParameterResourceBuilderExtensions.CreateDefaultPasswordParameter(builder, $"{name}-password", special: false);
        var baseDir = Path.GetFullPath(Path.Combine(dataRoot, name));
        var server = new LocalRabbitMQServerResource(name, "/bin/bash", builder.AppHostDirectory, user, password);

        string? connectionString = null;
        builder.Eventing.Subscribe<ConnectionStringAvailableEvent>(server, async (_, ct) =>
            connectionString = await server.ConnectionStringExpression.GetValueAsync(ct));

        var healthKey = $"{name}_check";
        IConnection? connection = null;
        builder.Services.AddHealthChecks().AddRabbitMQ(async _ =>
            connection ??= await new ConnectionFactory
            {
                Uri = new Uri(connectionString ?? throw new InvalidOperationException("Connection string is unavailable")),
            }.CreateConnectionAsync(), name: healthKey);

        return builder.AddResource(server)
            .WithArgs("-c", RabbitScript, "local-rabbitmq")
            .WithEnvironment("LOCALMQ_DIR", baseDir)
            .WithEnvironment("LOCALMQ_USER", user)
            .WithEnvironment("LOCALMQ_PASS", password)
            .WithEndpoint(name: LocalRabbitMQServerResource.PrimaryEndpointName, scheme: "tcp", env: "RABBITMQ_NODE_PORT", isProxied: false)
            .WithEndpoint(name: "dist", scheme: "tcp", env: "RABBITMQ_DIST_PORT", isProxied: false)
            .WithEndpoint(name: "epmd", scheme: "tcp", env: "ERL_EPMD_PORT", isProxied: false)
            .WithHealthCheck(healthKey)
            .WithIconName("MailMultiple")
            .ExcludeFromManifest();
    }

    // bash -c script; $0 = "local-rabbitmq". Env: LOCALMQ_DIR/USER/PASS, RABBITMQ_NODE_PORT, RABBITMQ_DIST_PORT, ERL_EPMD_PORT.
    private const string RabbitScript = """
        set -euo pipefail
        if [ ! -x /usr/lib/rabbitmq/bin/rabbitmq-server ]; then
          echo "RabbitMQ is not installed: run eng/install-deps.sh" >&2; exit 1
        fi
        d="$LOCALMQ_DIR"
        mkdir -p "$d/home" "$d/mnesia" "$d/log"
        # default_user only applies to a fresh broker database: start afresh when the credentials changed.
        creds=$(printf '%s:%s' "$LOCALMQ_USER" "$LOCALMQ_PASS" | sha256sum | cut -d' ' -f1)
        if [ "$(cat "$d/credentials.sha256" 2>/dev/null)" != "$creds" ]; then
          rm -rf "$d/mnesia"; mkdir -p "$d/mnesia"; echo "$creds" > "$d/credentials.sha256"
          echo "fresh broker database in $d/mnesia"
        else
          echo "reusing the broker database in $d/mnesia"
        fi
        printf 'loopback_users = none\ndefault_user = %s\ndefault_pass = %s\n' "$LOCALMQ_USER" "$LOCALMQ_PASS" > "$d/rabbitmq.conf"
        echo '[].' > "$d/enabled_plugins"
        export HOME="$d/home"                       # .erlang.cookie lives here, not in /root or /var/lib/rabbitmq
        export RABBITMQ_NODENAME="rabbit@localhost"
        export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
        export RABBITMQ_CONF_ENV_FILE=/dev/null     # ignore /etc/rabbitmq/rabbitmq-env.conf
        export RABBITMQ_CONFIG_FILE="$d/rabbitmq.conf"
        export RABBITMQ_ENABLED_PLUGINS_FILE="$d/enabled_plugins"
        export RABBITMQ_MNESIA_BASE="$d/mnesia"
        export RABBITMQ_LOG_BASE="$d/log"
        export RABBITMQ_LOGS=-                      # log to stdout: the dashboard's console logs
        export RABBITMQ_PID_FILE="$d/rabbit.pid"
        export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
        # Our own epmd in the foreground on a private port, so no 'epmd -daemon' is left behind. A restart reuses the
        # port: wait until the previous run's epmd has let it go (else the new one cannot bind, the old one answers the
        # readiness probe and then exits, and the node fails to start), and check that ours is the one that answers.
        for _ in $(seq 1 200); do (echo > "/dev/tcp/127.0.0.1/$ERL_EPMD_PORT") 2>/dev/null || break; sleep 0.05; done
        epmd -port "$ERL_EPMD_PORT" -address 127.0.0.1 &
        epmd_pid=$!
        for _ in $(seq 1 100); do (echo > "/dev/tcp/127.0.0.1/$ERL_EPMD_PORT") 2>/dev/null && break; sleep 0.05; done
        kill -0 "$epmd_pid" 2>/dev/null || { echo "epmd could not listen on port $ERL_EPMD_PORT" >&2; exit 1; }
        /usr/lib/rabbitmq/bin/rabbitmq-server &
        rmq=$!
        # stopped only once the broker and epmd are gone, so a start right after finds the ports free
        trap 'kill -TERM $rmq 2>/dev/null; wait $rmq || true; kill $epmd_pid 2>/dev/null; wait $epmd_pid 2>/dev/null || true; exit 0' TERM INT
        wait $rmq || true
        kill $epmd_pid 2>/dev/null || true
        wait $epmd_pid 2>/dev/null || true
        """;
}
