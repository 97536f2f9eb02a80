using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using CarRecommender.Core.Recommendation.Ranking;

namespace CarRecommender.Core.Recommendation.Rules;

/// <summary>
/// Everything an operator can change about how lists are made: the ranker's weights and diversity knobs, the business
/// rules, and which candidate sources run. The configuration's section <c>Recommendations</c> gives the defaults; an
/// experiment's variant overrides any part of them (<see cref="Override"/>).
/// </summary>
public sealed record EngineSettings
{
    public const string SectionName = "Recommendations";

    /// <summary>The source names <see cref="Sources"/> may list.</summary>
    public static readonly IReadOnlyList<string> SourceNames = ["content", "latent", "car-model", "trending", "price-drop", "promoted"];

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    public RankingOptions Ranking { get; init; } = new();
    public BusinessRules Rules { get; init; } = new();
    /// <summary>The candidate sources that run (null: all of <see cref="SourceNames"/>).</summary>
    public IReadOnlyList<string>? Sources { get; init; }
    /// <summary>
    /// Which ranker orders the candidates: <c>learned</c> (the newest learned model that won its offline comparison, or
    /// the blend while none has) or <c>blend</c> (the hand-tuned blend only), so an experiment can compare the two.
    /// </summary>
    public string Ranker { get; init; } = RankerLearned;

    public const string RankerLearned = "learned";
    public const string RankerBlend = "blend";

    public static readonly EngineSettings Default = new();

    /// <summary>Whether the named source runs under these settings.</summary>
    public bool Runs(string source) => Sources is null || Sources.Contains(source, StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// A short stable hash of the settings: a stored list is only served to requests ranked under the same settings
    /// (another configuration, or another experiment variant, re-ranks).
    /// </summary>
    [JsonIgnore]
    public string Fingerprint => Fingerprints.GetValue(this, static s =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(s, Json))))[..16]);

    /// <summary>
    /// What keys a stored list: the <see cref="Fingerprint"/>, and the learned model's version when the learned ranker
    /// ranked it, so a list ranked by an older model is re-ranked once a newer one serves.
    /// </summary>
    public string StoreKey(long? rankerVersion) =>
        UsesLearnedRanker && rankerVersion is { } v ? $"{Fingerprint}-r{v}" : Fingerprint;

    [JsonIgnore]
    public bool UsesLearnedRanker => string.Equals(Ranker, RankerLearned, StringComparison.OrdinalIgnoreCase);

    // by reference, not in a field: `with` copies fields, and a copy with other values must not inherit the hash
    private static readonly ConditionalWeakTable<EngineSettings, string> Fingerprints = new();

    /// <summary>
    /// These settings with <paramref name="overrides"/> (a JSON object of the same shape, any subset: <c>{"ranking":
    /// {"lambda": 0.8}, "rules": {"maxPerSeller": 2}}</c>) laid over them, validated. Throws <see cref="ArgumentException"/>
    /// with a message naming what is wrong.
    /// </summary>
    public EngineSettings Override(JsonElement overrides)
    {
        if (overrides.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null) return this;
        if (overrides.ValueKind != JsonValueKind.Object) throw new ArgumentException("Settings must be a JSON object.");
        var merged = JsonSerializer.SerializeToNode(this, Json)!.AsObject();
        Merge(merged, JsonNode.Parse(overrides.GetRawText())!.AsObject());
        EngineSettings result;
        try
        {
            result = merged.Deserialize<EngineSettings>(Json) ?? this;
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"Settings {e.Path}: {e.Message}", e);
        }
        return result.Validated();
    }

    /// <summary>Checks every value (ranges, source names, boost expressions); throws <see cref="ArgumentException"/>.</summary>
    public EngineSettings Validated()
    {
        var r = Ranking;
        if (r.Lambda is < 0 or > 1) throw new ArgumentException("ranking.lambda must be between 0 and 1.");
        if (r.MaxPerModel < 1) throw new ArgumentException("ranking.maxPerModel must be at least 1.");
        if (r.CollaborativeMax is < 0 or > 1) throw new ArgumentException("ranking.collaborativeMax must be between 0 and 1.");
        if (r.SeenPenalty is < 0 or > 1) throw new ArgumentException("ranking.seenPenalty must be between 0 and 1.");
        if (!string.Equals(Ranker, RankerLearned, StringComparison.OrdinalIgnoreCase) && !string.Equals(Ranker, RankerBlend, StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"ranker must be \"{RankerLearned}\" or \"{RankerBlend}\".");
        if (Sources is { } sources)
        {
            if (sources.Count == 0) throw new ArgumentException("sources must name at least one source.");
            foreach (var s in sources.Where(s => !SourceNames.Contains(s, StringComparer.OrdinalIgnoreCase)))
                throw new ArgumentException($"sources: '{s}' is not a source (one of {string.Join(", ", SourceNames)}).");
        }
        Rules.Validate();
        return this;
    }

    private static void Merge(JsonObject target, JsonObject overrides)
    {
        foreach (var (key, value) in overrides)
        {
            var name = target.Select(p => p.Key).FirstOrDefault(k => string.Equals(k, key, StringComparison.OrdinalIgnoreCase)) ?? key;
            if (value is JsonObject inner && target[name] is JsonObject existing) Merge(existing, inner);
            else target[name] = value?.DeepClone();
        }
    }
}
