using System.Diagnostics;
using Microsoft.Extensions.Configuration;

namespace CarRecommender.AppHost.Infrastructure;

/// <summary>How the backing services (Postgres, RabbitMQ) run.</summary>
public enum InfraKind { Containers, Executables }

/// <summary>
/// Picks containers or local processes. Config key <c>LocalInfra:Mode</c> (env <c>LocalInfra__Mode</c>, arg
/// <c>--LocalInfra:Mode=…</c>): <c>Auto</c> (default: containers when <c>docker info</c> answers) | <c>Containers</c> |
/// <c>Executables</c>. Publish mode (manifest, azd) always uses containers.
/// </summary>
public static class InfraMode
{
    public static InfraKind Resolve(IDistributedApplicationBuilder builder)
    {
        if (builder.ExecutionContext.IsPublishMode) return InfraKind.Containers;
        var mode = builder.Configuration["LocalInfra:Mode"] ?? "Auto";
        if (mode.Equals("Containers", StringComparison.OrdinalIgnoreCase)) return InfraKind.Containers;
        if (mode.Equals("Executables", StringComparison.OrdinalIgnoreCase)) return InfraKind.Executables;
        if (!mode.Equals("Auto", StringComparison.OrdinalIgnoreCase))
            throw new InvalidOperationException($"LocalInfra:Mode must be Auto, Containers or Executables, not '{mode}'.");
        var runtime = builder.Configuration["ASPIRE_CONTAINER_RUNTIME"]
                      ?? builder.Configuration["DOTNET_ASPIRE_CONTAINER_RUNTIME"] ?? "docker";
        return ContainerRuntimeIsHealthy(runtime) ? InfraKind.Containers : InfraKind.Executables;
    }

    /// <summary><c>docker info</c> (or <c>podman info</c>) exits 0 only when a daemon answers; ~50 ms when none runs.</summary>
    public static bool ContainerRuntimeIsHealthy(string runtime)
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo(runtime, "info --format {{.ServerVersion}}")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            });
            if (p is null) return false;
            if (!p.WaitForExit(TimeSpan.FromSeconds(10)))
            {
                p.Kill(entireProcessTree: true);
                return false;
            }
            return p.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false; // the CLI is not installed
        }
    }
}
