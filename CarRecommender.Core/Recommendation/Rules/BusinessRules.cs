using System.Collections.Concurrent;
using System.Text.Json.Serialization;
using DynamicExpresso;

namespace CarRecommender.Core.Recommendation.Rules;

/// <summary>
/// The marketplace's rules over every list, applied after ranking (the post-processors of Ranking/ListRules.cs).
/// </summary>
/// <remarks>
/// <see cref="PromotedShare"/>: promoted listings (a flag with an expiry, set by admins) fill at most this share of a
/// list, at slots where every prefix of the list keeps to the share (with 0.2: the 5th, 10th, 15th…), the most relevant
/// promoted listings first; a promoted listing never appears unmarked. <see cref="MaxPerSeller"/>: at most this many
/// listings of one seller in a list (0: no cap). <see cref="Boosts"/>: score multipliers for listings matching an
/// expression.
/// </remarks>
public sealed record BusinessRules
{
    public double PromotedShare { get; init; } = 0.2;
    public int MaxPerSeller { get; init; } = 3;
    public IReadOnlyList<Boost> Boosts { get; init; } = [];

    public void Validate()
    {
        if (PromotedShare is < 0 or > 0.5) throw new ArgumentException("rules.promotedShare must be between 0 and 0.5.");
        if (MaxPerSeller < 0) throw new ArgumentException("rules.maxPerSeller must be 0 (no cap) or more.");
        foreach (var boost in Boosts) boost.Validate();
    }

    /// <summary>How many of the first <paramref name="slots"/> slots promoted listings may take.</summary>
    public int PromotedSlots(int slots) => (int)Math.Floor(PromotedShare * slots + 1e-9);
}

/// <summary>
/// A boost: listings for which <see cref="When"/> holds get their score multiplied by <see cref="Factor"/> (above 1
/// lifts, below 1 sinks). <see cref="When"/> is a C# expression over <c>car</c>, a <see cref="BoostFacts"/>:
/// <c>car.Fuel == "Electric"</c>, <c>car.Year &gt;= 2021 &amp;&amp; car.Price &lt; 20000</c>.
/// </summary>
public sealed record Boost(string When, double Factor)
{
    private static readonly ConcurrentDictionary<string, Func<BoostFacts, bool>> Compiled = new();

    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(When)) throw new ArgumentException("A boost needs a 'when' expression.");
        if (Factor is <= 0 or > 10 || double.IsNaN(Factor)) throw new ArgumentException($"Boost '{When}': factor must be above 0 and at most 10.");
        _ = Predicate;
    }

    /// <summary>The compiled expression (cached per text); <see cref="ArgumentException"/> when it does not parse.</summary>
    [JsonIgnore]
    public Func<BoostFacts, bool> Predicate => Compiled.GetOrAdd(When, static when =>
    {
        try
        {
            return new Interpreter(InterpreterOptions.DefaultCaseInsensitive).ParseAsDelegate<Func<BoostFacts, bool>>(when, "car");
        }
        catch (Exception e) when (e is DynamicExpresso.Exceptions.ParseException or InvalidOperationException or ArgumentException)
        {
            throw new ArgumentException($"Boost '{when}' is not an expression over car ({string.Join(", ", BoostFacts.Fields)}): {e.Message}", e);
        }
    });

    /// <summary>The note a boosted pick carries in its explanation.</summary>
    [JsonIgnore]
    public string Note => $"Boosted ×{Factor:0.##}: {When}";
}

/// <summary>What a boost expression can test of a listing (enums as their names).</summary>
public sealed record BoostFacts(
    string Make, string Model, int Year, int Price, int MileageKm, int? PowerKw, string Fuel, string Transmission, string BodyType,
    string SellerType, bool Promoted)
{
    public static readonly string[] Fields = ["Make", "Model", "Year", "Price", "MileageKm", "PowerKw", "Fuel", "Transmission", "BodyType", "SellerType", "Promoted"];
}
