using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CarRecommender.Core.Recommendation.Rules;
using Npgsql;

namespace CarRecommender.Core.Recommendation.Experiments;

/// <summary>One variant as stored in <c>experiments.variants</c>: a name, a share, and the settings it overrides.</summary>
public sealed record VariantDefinition(string Name, double Share, JsonElement? Settings);

/// <summary>A running experiment with each variant's settings resolved over the defaults.</summary>
public sealed record RunningExperiment(long Id, string Name, IReadOnlyList<(VariantDefinition Variant, EngineSettings Settings)> Variants)
{
    /// <summary>
    /// The variant of a user or session (<paramref name="unit"/>: "user:42", "session:{guid}"): the first 8 bytes of
    /// SHA-256("{experiment name}:{unit}") as a fraction in [0, 1), against the variants' cumulative shares. Stable for
    /// as long as the experiment runs, independent between experiments, and the same in the API and the worker.
    /// </summary>
    public (VariantDefinition Variant, EngineSettings Settings) Assign(string unit)
    {
        var bucket = Bucket(Name, unit);
        var cumulative = 0.0;
        foreach (var v in Variants)
        {
            cumulative += v.Variant.Share;
            if (bucket < cumulative) return v;
        }
        return Variants[^1];
    }

    public static double Bucket(string experiment, string unit)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(experiment + ":" + unit), hash);
        return (BinaryPrimitives.ReadUInt64BigEndian(hash) >> 11) * (1.0 / (1UL << 53));
    }
}

/// <summary>What a request ranks under: the settings, and the experiment and variant they come from (null: none runs).</summary>
public sealed record Assignment(EngineSettings Settings, long? ExperimentId, string? Experiment, string? Variant);

/// <summary>
/// The running experiment as the API and the worker see it: read from the database at most every
/// <see cref="CacheFor"/> (an operator's start or stop reaches every process within that), each variant's settings laid
/// over the configured defaults once.
/// </summary>
public sealed class ExperimentRegistry(NpgsqlDataSource dataSource, EngineSettings defaults, TimeProvider? clock = null)
{
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(5);
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private (DateTimeOffset ReadAt, RunningExperiment? Running)? _cache;

    public EngineSettings Defaults => defaults;

    /// <summary>The settings for a user ("user:{id}") or session ("session:{id}").</summary>
    public async ValueTask<Assignment> AssignAsync(string unit, CancellationToken ct)
    {
        if (await RunningAsync(ct) is not { } running) return new Assignment(defaults, null, null, null);
        var (variant, settings) = running.Assign(unit);
        return new Assignment(settings, running.Id, running.Name, variant.Name);
    }

    /// <summary>Forgets the cached experiment (this process just started or stopped one).</summary>
    public void Invalidate() => _cache = null;

    public async ValueTask<RunningExperiment?> RunningAsync(CancellationToken ct)
    {
        var now = _clock.GetUtcNow();
        if (_cache is { } c && now - c.ReadAt < CacheFor) return c.Running;
        await _gate.WaitAsync(ct);
        try
        {
            if (_cache is { } again && now - again.ReadAt < CacheFor) return again.Running;
            RunningExperiment? running = null;
            await using (var cmd = dataSource.CreateCommand("SELECT id, name, variants::text FROM experiments WHERE state = 'running' LIMIT 1"))
            await using (var reader = await cmd.ExecuteReaderAsync(ct))
            {
                if (await reader.ReadAsync(ct))
                    running = Resolve(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), defaults);
            }
            _cache = (now, running);
            return running;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Parses and checks an experiment's variants: at least two, distinct names, shares above 0 adding up to 1, every
    /// settings object valid over the defaults. Throws <see cref="ArgumentException"/> naming the problem.
    /// </summary>
    public static RunningExperiment Resolve(long id, string name, string variantsJson, EngineSettings defaults)
    {
        var variants = JsonSerializer.Deserialize<List<VariantDefinition>>(variantsJson, EngineSettings.Json)
                       ?? throw new ArgumentException("variants are missing.");
        return Resolve(id, name, variants, defaults);
    }

    public static RunningExperiment Resolve(long id, string name, IReadOnlyList<VariantDefinition> variants, EngineSettings defaults)
    {
        if (variants.Count is < 2 or > 10) throw new ArgumentException("An experiment needs 2 to 10 variants.");
        if (variants.Any(v => string.IsNullOrWhiteSpace(v.Name) || v.Name.Length > 60))
            throw new ArgumentException("Every variant needs a name of at most 60 characters.");
        if (variants.Select(v => v.Name.Trim()).Distinct(StringComparer.OrdinalIgnoreCase).Count() != variants.Count)
            throw new ArgumentException("Variant names must differ.");
        if (variants.Any(v => v.Share is <= 0 or > 1 || double.IsNaN(v.Share)))
            throw new ArgumentException("Every variant's share must be above 0 and at most 1.");
        if (Math.Abs(variants.Sum(v => v.Share) - 1) > 1e-6)
            throw new ArgumentException($"The variants' shares add up to {variants.Sum(v => v.Share):0.###}, not 1.");
        var resolved = variants.Select(v =>
        {
            try
            {
                return (v, v.Settings is { } s ? defaults.Override(s) : defaults);
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"Variant '{v.Name}': {e.Message}", e);
            }
        }).ToList();
        return new RunningExperiment(id, name, resolved);
    }
}
