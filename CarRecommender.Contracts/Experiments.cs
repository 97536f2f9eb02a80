using System.Text.Json;

namespace CarRecommender.Contracts;

/// <summary>The states of an experiment: created (draft), serving its variants (running), ended (stopped, for good).</summary>
public static class ExperimentStates
{
    public const string Draft = "draft";
    public const string Running = "running";
    public const string Stopped = "stopped";
}

/// <summary>
/// One variant: its name, its share of users and sessions (the shares of an experiment add up to 1), and the engine
/// settings it overrides as JSON (any subset of <c>{"ranking": {…}, "rules": {…}, "sources": […]}</c>; empty: the defaults).
/// </summary>
public sealed record ExperimentVariantDto(string Name, double Share, JsonElement? Settings);

/// <summary>What <c>POST /api/admin/experiments</c> takes.</summary>
public sealed record CreateExperimentDto(string Name, string? Description, IReadOnlyList<ExperimentVariantDto> Variants);

/// <summary>An experiment as listed.</summary>
public sealed record ExperimentDto(long Id, string Name, string Description, string State, IReadOnlyList<ExperimentVariantDto> Variants,
    string CreatedBy, DateTimeOffset CreatedAt, DateTimeOffset? StartedAt, DateTimeOffset? StoppedAt);

/// <summary>
/// A proportion with its 95 % Wilson score interval: lists with at least one such event out of the lists served.
/// </summary>
public sealed record RateDto(long Successes, long Trials, double Rate, double Low, double High);

/// <summary>
/// One variant's results. Lists served; events attributed to them (views that came from a list are clicks); the
/// click-through and contact rates per list with 95 % intervals; and against the first (control) variant, the
/// two-proportion z-test's p-values (null for the control itself, or while either side has no lists).
/// </summary>
public sealed record VariantResultDto(string Name, double Share, long Users, long Lists, long Clicks, long Saves, long Contacts,
    RateDto ClickThrough, RateDto ContactRate, double? ClickThroughPValue, double? ContactRatePValue);

/// <summary>An experiment's results, per variant.</summary>
public sealed record ExperimentResultsDto(ExperimentDto Experiment, IReadOnlyList<VariantResultDto> Variants, DateTimeOffset ComputedAt);
