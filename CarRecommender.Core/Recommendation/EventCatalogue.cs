using CarRecommender.Core.Domain;

namespace CarRecommender.Core.Recommendation;

/// <summary>
/// What one kind of user activity means to every part of the engine.
/// </summary>
/// <param name="Name">Its name on the wire (<c>POST /api/events</c>) and in the console.</param>
/// <param name="Strength">Implicit-feedback strength for ALS and EASE (summed per user and listing, floored at 0).</param>
/// <param name="ContentWeight">Pull of the user's content taste towards (positive) or away from (negative) the listing.</param>
/// <param name="TrendWeight">What it adds to a listing's trending score (0: nothing).</param>
/// <param name="Rank">Order among the positive kinds for a history item's strongest interaction (higher is stronger; 0: not positive).</param>
/// <param name="Verb">The past tense a reason uses ("similar to the Golf you saved"); null for kinds a reason never names.</param>
/// <param name="CancelledBy">The kind that takes it back (a save is taken back by an unsave), if any.</param>
/// <param name="Vetoes">The listing loses every positive signal for the user ("not interested").</param>
/// <param name="Excludes">The listing is never recommended to the user again (they contacted the seller).</param>
public sealed record EventKind(
    InteractionType Type, string Name, float Strength, double ContentWeight, double TrendWeight, int Rank, string? Verb,
    InteractionType? CancelledBy = null, bool Vetoes = false, bool Excludes = false)
{
    /// <summary>The name stored in <c>interactions.type</c> (the enum member's name, like every enum column).</summary>
    public string Stored => Type.ToString();
    public bool Positive => Rank > 0;
    /// <summary>A positive kind that keeps the listing recommendable: the user knows the car and may want to hear of it again.</summary>
    public bool ShowsInterest => Positive && !Excludes;
}

/// <summary>
/// The one list of event kinds. Pipelines, the learners' SQL, trending, ranking reasons, the API's parser and the
/// console all read it, so adding a kind is one entry here (and a member of <see cref="InteractionType"/>, which is
/// stored by name, so the enum's order means nothing).
/// </summary>
public static class EventCatalogue
{
    public static readonly IReadOnlyList<EventKind> All =
    [
        new(InteractionType.View, "view", Strength: 1, ContentWeight: 1.0, TrendWeight: 1, Rank: 1, Verb: "viewed"),
        new(InteractionType.Save, "save", Strength: 3, ContentWeight: 3.0, TrendWeight: 3, Rank: 2, Verb: "saved", CancelledBy: InteractionType.Unsave),
        new(InteractionType.Unsave, "unsave", Strength: -3, ContentWeight: -2.0, TrendWeight: 0, Rank: 0, Verb: null),
        // sharing a listing with someone says more than saving it and less than contacting the seller
        new(InteractionType.Share, "share", Strength: 4, ContentWeight: 4.0, TrendWeight: 4, Rank: 3, Verb: "shared"),
        new(InteractionType.Contact, "contact", Strength: 5, ContentWeight: 5.0, TrendWeight: 5, Rank: 4, Verb: "contacted", Excludes: true),
        new(InteractionType.Dismiss, "dismiss", Strength: 0, ContentWeight: -1.5, TrendWeight: 0, Rank: 0, Verb: null, Vetoes: true),
    ];

    private static readonly Dictionary<InteractionType, EventKind> ByType = All.ToDictionary(k => k.Type);
    private static readonly Dictionary<string, EventKind> ByName = All.ToDictionary(k => k.Name, StringComparer.OrdinalIgnoreCase);

    public static EventKind Of(InteractionType type) => ByType[type];

    public static bool TryParse(string? name, out EventKind kind) => ByName.TryGetValue(name?.Trim() ?? "", out kind!);

    public static IEnumerable<string> Names => All.Select(k => k.Name);

    /// <summary>The kinds that may be a history item's strongest interaction, strongest first.</summary>
    public static IEnumerable<EventKind> PositiveByStrength => All.Where(k => k.Positive).OrderByDescending(k => k.Rank);

    /// <summary>A <c>CASE</c> over a <c>type</c> column giving each kind's <paramref name="value"/> (0 for others).</summary>
    public static string SqlCase(Func<EventKind, double> value) =>
        "CASE type " + string.Concat(All.Where(k => value(k) != 0).Select(k => $"WHEN '{k.Stored}' THEN {value(k).ToString(System.Globalization.CultureInfo.InvariantCulture)} "))
        + "ELSE 0 END";

    /// <summary>
    /// The SQL aggregate (per user and listing) of the strongest positive kind the user still stands by: the highest
    /// ranked kind with more occurrences than its cancellations; a listing acted on only by kinds since taken back
    /// counts as viewed. Null when no positive kind occurred.
    /// </summary>
    public static readonly string SqlStrongest = BuildSqlStrongest();

    /// <summary>The SQL aggregate of "a vetoing kind occurred" (the user dismissed the listing).</summary>
    public static readonly string SqlVetoed = $"bool_or(type IN ({SqlNames(k => k.Vetoes)}))";

    /// <summary>The stored names of the kinds that <see cref="EventKind.ShowsInterest"/>, as an SQL list for <c>type IN (…)</c>.</summary>
    public static readonly string SqlShowingInterest = SqlNames(k => k.ShowsInterest);

    private static string SqlNames(Func<EventKind, bool> which) => string.Join(", ", All.Where(which).Select(k => $"'{k.Stored}'"));

    private static string BuildSqlStrongest()
    {
        var positives = PositiveByStrength.ToList();
        var weakest = positives[^1];
        var arms = positives.Take(positives.Count - 1).Select(k => k.CancelledBy is { } c
            ? $"WHEN sum(CASE type WHEN '{k.Stored}' THEN 1 WHEN '{c}' THEN -1 ELSE 0 END) > 0 THEN '{k.Stored}'"
            : $"WHEN bool_or(type = '{k.Stored}') THEN '{k.Stored}'");
        return $"CASE {string.Join(" ", arms)} WHEN bool_or(type IN ({string.Join(", ", positives.Select(k => $"'{k.Stored}'"))})) THEN '{weakest.Stored}' END";
    }
}
