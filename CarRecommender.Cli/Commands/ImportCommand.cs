using System.ComponentModel;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using CarRecommender.Core.Data;
using CarRecommender.Core.Import;
using CarRecommender.Core.Seeding;
using Microsoft.Extensions.Configuration;
using Spectre.Console;
using Spectre.Console.Cli;

namespace CarRecommender.Cli.Commands;

public sealed class ImportSettings : DatabaseSettings
{
    [CommandOption("-f|--file <PATH>")]
    [Description("The CSV file (comma, semicolon, tab or | separated; header row required)")]
    public string File { get; init => field = CliPaths.Resolve(value); } = "";

    [CommandOption("--map <COLUMN=FIELD>")]
    [Description("Map a column to a field when automatic matching misses it, e.g. Hersteller=make or miles=mileage_miles (repeatable)")]
    public string[] Map { get; init; } = [];

    [CommandOption("--source <NAME>")]
    [Description("The feed's name (default: the file's name): listings are matched by (source, id), so a re-import updates them in place")]
    public string? Source { get; init; }

    [CommandOption("--sync")]
    [Description("Mark the source's listings that are not in the file as sold")]
    public bool Sync { get; init; }

    [CommandOption("--units <UNIT>")]
    [Description("The mileage unit, km or miles, when the header and the data should not decide")]
    public string? Units { get; init; }

    [CommandOption("--currency <CODE>")]
    [Description("The currency of the file's prices (ISO 4217, e.g. GBP; default EUR); converted to EUR for comparison with Currencies:Rates")]
    public string? Currency { get; init; }

    [CommandOption("--api <URL>")]
    [Description("The running API the file is uploaded to when no --connection is given (default http://localhost:5080)")]
    public string Api { get; init; } = "http://localhost:5080";

    [CommandOption("--token <JWT>")]
    [Description("An admin's bearer token; default: a demo token for --email from the API (Development only)")]
    public string? Token { get; init; }

    [CommandOption("--email <EMAIL>")]
    [Description($"The admin whose demo token is used (default {CatalogueGenerator.AdminEmail})")]
    public string Email { get; init; } = CatalogueGenerator.AdminEmail;

    public override ValidationResult Validate()
    {
        if (string.IsNullOrWhiteSpace(File)) return ValidationResult.Error("--file is required");
        if (!System.IO.File.Exists(File)) return ValidationResult.Error($"no such file: {File}");
        return CatalogueFileOptions.Problem(Map, SourceName, Units, Currency) is { } problem ? ValidationResult.Error(problem) : ValidationResult.Success();
    }

    /// <summary>--source, or the file's name made a source name ("uk cars 2020.csv" → "uk-cars-2020").</summary>
    public string SourceName => Source ?? ImportOptionsParser.SourceFromFileName(File);
}

public sealed class ImportCommand : AsyncCommand<ImportSettings>
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>The currency rates: the defaults, overridden by <c>Currencies__Rates__XXX</c> environment variables.</summary>
    internal static CurrencyRates Rates() =>
        new Microsoft.Extensions.Configuration.ConfigurationBuilder().AddEnvironmentVariables().Build()
            .GetSection(CurrencyRates.SectionName).Get<CurrencyRates>() ?? new CurrencyRates();

    public override async Task<int> ExecuteAsync(CommandContext context, ImportSettings settings, CancellationToken cancellationToken)
    {
        ImportReport report;
        if (!string.IsNullOrWhiteSpace(settings.ResolveConnectionString()))
        {
            var rates = Rates();
            var options = CatalogueFileOptions.Build(settings.Map, settings.SourceName, settings.Units, settings.Currency, rates) with
            {
                Sync = settings.Sync,
                FileName = Path.GetFileName(settings.File),
                StartedBy = "cli " + Environment.UserName,
            };
            await using var dataSource = await settings.OpenDatabaseAsync(cancellationToken);
            report = await ProgressReporter.RunAsync(progress =>
                CatalogueImport.ImportFileAsync(dataSource, settings.File, options, rates, DateTimeOffset.UtcNow, progress, cancellationToken));
        }
        else
        {
            report = await UploadAsync(settings, cancellationToken);
        }
        Print(report);
        return report.Imported > 0 || report.RowsRead == 0 && report.Warnings.Count == 0 ? 0 : 1;
    }

    /// <summary>Uploads to <c>POST /api/admin/listings/import</c>, which imports in one transaction and answers the report.</summary>
    private static async Task<ImportReport> UploadAsync(ImportSettings settings, CancellationToken ct)
    {
        using var http = new HttpClient { BaseAddress = new Uri(settings.Api), Timeout = TimeSpan.FromMinutes(30) };
        var token = settings.Token ?? await DemoTokenAsync(http, settings.Email, ct);
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);

        var query = string.Join("&", mapping(settings.Map).Concat(Options(settings)));
        return await ProgressReporter.RunAsync(async progress =>
        {
            await using var file = System.IO.File.OpenRead(settings.File);
            await using var body = new ProgressStream(file, read => progress.Report(new LoadProgress("uploading", read, file.Length)));
            using var content = new StreamContent(body);
            content.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
            content.Headers.ContentLength = file.Length;
            using var response = await Send(http, query.Length == 0 ? "api/admin/listings/import" : "api/admin/listings/import?" + query, content, ct);
            if (!response.IsSuccessStatusCode)
                throw new CliException($"the API refused the import: {(int)response.StatusCode} {await ProblemText(response, ct)}");
            return await response.Content.ReadFromJsonAsync<ImportReport>(Json, ct)
                   ?? throw new CliException("the API answered an empty report");
        });

        static IEnumerable<string> mapping(string[] maps) => maps.Select(m => "map=" + Uri.EscapeDataString(m));

        static IEnumerable<string> Options(ImportSettings s)
        {
            yield return "source=" + Uri.EscapeDataString(s.SourceName);
            yield return "fileName=" + Uri.EscapeDataString(Path.GetFileName(s.File));
            if (s.Sync) yield return "sync=true";
            if (s.Units is { } u) yield return "units=" + Uri.EscapeDataString(u);
            if (s.Currency is { } c) yield return "currency=" + Uri.EscapeDataString(c);
        }
    }

    private static async Task<HttpResponseMessage> Send(HttpClient http, string url, HttpContent content, CancellationToken ct)
    {
        try
        {
            return await http.PostAsync(url, content, ct);
        }
        catch (HttpRequestException ex)
        {
            throw new CliException($"cannot reach the API at {http.BaseAddress}: {ex.Message}. Start the system (eng/run.sh) or import with --connection.");
        }
    }

    private static async Task<string> DemoTokenAsync(HttpClient http, string email, CancellationToken ct)
    {
        using var response = await Send(http, "api/auth/token", JsonContent.Create(new { email }), ct);
        if (!response.IsSuccessStatusCode)
            throw new CliException($"no demo token for {email}: {(int)response.StatusCode} {await ProblemText(response, ct)}. Pass --token.");
        var json = await response.Content.ReadFromJsonAsync<JsonElement>(Json, ct);
        return json.GetProperty("accessToken").GetString() ?? throw new CliException("the token response has no accessToken");
    }

    private static async Task<string> ProblemText(HttpResponseMessage response, CancellationToken ct)
    {
        var text = await response.Content.ReadAsStringAsync(ct);
        try
        {
            var json = JsonSerializer.Deserialize<JsonElement>(text);
            var title = json.TryGetProperty("title", out var t) ? t.GetString() : null;
            var detail = json.TryGetProperty("detail", out var d) ? d.GetString() : null;
            var errors = json.TryGetProperty("errors", out var e) ? " " + e.GetRawText() : "";
            return $"{title} {detail}{errors}".Trim();
        }
        catch (JsonException)
        {
            return text.Length > 300 ? text[..300] : text;
        }
    }

    private static void Print(ImportReport report)
    {
        var table = new Table().AddColumns("rows read", "imported", "new", "updated", "unchanged", "marked sold", "rejected", "seconds");
        table.AddRow($"{report.RowsRead:N0}", $"[green]{report.Imported:N0}[/]", $"{report.Inserted:N0}", $"{report.Updated:N0}", $"{report.Unchanged:N0}",
            $"{report.MarkedSold:N0}", report.Rejected > 0 ? $"[red]{report.Rejected:N0}[/]" : "0", $"{report.DurationSeconds:N1}");
        AnsiConsole.Write(table);
        if (report.ImportId is { } id)
            AnsiConsole.MarkupLineInterpolated($"import {id} of source '{report.Source}' ({string.Join(", ", report.Phases.Select(p => $"{p.Key} {p.Value:N1} s"))})");
        foreach (var decision in report.Decisions)
            AnsiConsole.MarkupLineInterpolated($"[blue]decided:[/] {decision}");
        if (report.Mapping.Count > 0)
            AnsiConsole.MarkupLineInterpolated($"columns: {string.Join(", ", report.Mapping.Select(m => $"{m.Key} → {m.Value}"))}");
        foreach (var warning in report.Warnings)
            AnsiConsole.MarkupLineInterpolated($"[yellow]warning:[/] {warning}");
        if (report.Rejections.Count == 0) return;
        var rejected = new Table().AddColumns("line", "reason");
        foreach (var r in report.Rejections.Take(20)) rejected.AddRow($"{r.Line}", Markup.Escape(r.Reason));
        AnsiConsole.Write(rejected);
        if (report.Rejected > 20) AnsiConsole.MarkupLineInterpolated($"… and {report.Rejected - 20:N0} more rejected rows");
    }
}
