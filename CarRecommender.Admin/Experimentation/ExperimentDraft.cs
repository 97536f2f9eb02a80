using System.Globalization;
using System.Text.Json;
using CarRecommender.Core.Recommendation.Rules;

namespace CarRecommender.Admin.Experimentation;

/// <summary>
/// A variant row of the create form as the operator types it: the share in percent, the settings as JSON text. The
/// settings are checked as they change, with the engine's own rules (<see cref="EngineSettings.Override"/>), so a
/// mistake shows at the field instead of coming back from the API.
/// </summary>
public sealed class VariantDraft
{
    private string _settings = "";

    public string Name { get; set; } = "";

    public double SharePercent { get; set; }

    /// <summary>Settings overrides as JSON; empty: the engine's defaults (a control usually has none).</summary>
    public string Settings
    {
        get => _settings;
        set
        {
            _settings = value ?? "";
            SettingsError = Check(_settings);
        }
    }

    /// <summary>Why <see cref="Settings"/> would be refused, or null.</summary>
    public string? SettingsError { get; private set; }

    /// <summary>The settings as the API takes them: null when empty (the defaults).</summary>
    public JsonElement? SettingsJson()
    {
        if (string.IsNullOrWhiteSpace(_settings)) return null;
        using var document = JsonDocument.Parse(_settings);
        return document.RootElement.Clone();
    }

    private static string? Check(string text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(text);
        }
        catch (JsonException e)
        {
            return "Not valid JSON: " + e.Message;
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object) return "Settings must be a JSON object: {\"ranking\": {…}, \"rules\": {…}, \"sources\": […]}.";
            try
            {
                EngineSettings.Default.Override(document.RootElement);
                return null;
            }
            catch (Exception e) when (e is ArgumentException or JsonException or InvalidOperationException or NotSupportedException or FormatException)
            {
                return e.Message;
            }
        }
    }
}

/// <summary>
/// The create form's experiment: a name, a description and at least two variants (the first is the control) whose
/// shares add up to 100 %. <see cref="Problems"/> lists what keeps it from being sent.
/// </summary>
public sealed class ExperimentDraft
{
    /// <summary>How far from 100 % the shares' sum may be (they are typed with at most two decimals).</summary>
    private const double Tolerance = 0.005;

    public string Name { get; set; } = "";

    public string Description { get; set; } = "";

    public List<VariantDraft> Variants { get; } = [new() { Name = "control", SharePercent = 50 }, new() { Name = "treatment", SharePercent = 50 }];

    public double TotalPercent => Variants.Sum(v => v.SharePercent);

    public bool SharesAddUp => Math.Abs(TotalPercent - 100) < Tolerance;

    /// <summary>Adds a variant, named after its place.</summary>
    public void AddVariant() => Variants.Add(new VariantDraft { Name = $"variant {Variants.Count}" });

    /// <summary>What is wrong, in the order of the form; empty when the draft can be sent.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(Name)) problems.Add("The experiment needs a name.");
        if (Variants.Count < 2) problems.Add("An experiment needs at least two variants: a control and one to compare with it.");
        if (Variants.Any(v => string.IsNullOrWhiteSpace(v.Name))) problems.Add("Every variant needs a name.");
        foreach (var name in Variants.Select(v => v.Name.Trim()).Where(n => n.Length > 0).GroupBy(n => n, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1))
            problems.Add($"Two variants are named '{name.Key}'.");
        if (Variants.Any(v => v.SharePercent <= 0 || v.SharePercent > 100)) problems.Add("Every variant's share must be above 0 % and at most 100 %.");
        if (!SharesAddUp)
            problems.Add($"The shares add up to {TotalPercent.ToString("0.##", CultureInfo.InvariantCulture)} %, not 100 %.");
        foreach (var v in Variants.Where(v => v.SettingsError is not null))
            problems.Add($"The settings of '{v.Name}' are not valid: {v.SettingsError}");
        return problems;
    }

    /// <summary>The request for <c>POST /api/admin/experiments</c>: shares as fractions of 1, settings as JSON (null when empty).</summary>
    public CreateExperimentDto ToDto() => new(Name.Trim(), string.IsNullOrWhiteSpace(Description) ? null : Description.Trim(),
        Variants.Select(v => new ExperimentVariantDto(v.Name.Trim(), Math.Round(v.SharePercent / 100, 6), v.SettingsJson())).ToList());
}
