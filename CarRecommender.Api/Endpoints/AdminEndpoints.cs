using CarRecommender.Api.Auth;
using CarRecommender.Core.Data;
using CarRecommender.Core.Domain;
using CarRecommender.Core.Import;
using CarRecommender.Core.Search;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace CarRecommender.Api.Endpoints;

/// <summary>The body of <c>PUT /api/admin/listings/{id}/status</c>.</summary>
public sealed record ListingStatusInput(string? Status);

public static class AdminEndpoints
{
    /// <summary>Largest CSV the import endpoint takes in one request.</summary>
    public const long MaxImportBytes = 200L * 1024 * 1024;
    /// <summary>Largest head of a file the preview reads.</summary>
    public const long PreviewBytes = 1024 * 1024;

    public static IEndpointRouteBuilder MapAdminEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/admin").WithTags("Admin").RequireAuthorization(AuthSetup.AdminPolicy);
        group.MapGet("/users", Users).WithName("AdminListUsers").WithSummary("Users, paged and searchable by e-mail or name (admin only)");
        group.MapGet("/users/{id}", UserById).WithName("AdminGetUser").WithSummary("Any user's profile (admin only)");
        group.MapPost("/listings/import", Import).WithName("ImportListings")
            .WithSummary("Import (sync) a catalogue CSV (text/csv body): ?source= the feed's name, ?sync=true marks its listings absent from the file sold, "
                + "?units=km|miles and ?currency=GBP override, ?map=column=field maps columns (admin only)")
            .WithMetadata(new RequestSizeLimitAttribute(MaxImportBytes));
        group.MapPost("/listings/import/preview", Preview).WithName("PreviewImport")
            .WithSummary("What importing a CSV's head (text/csv body, up to 1 MB) would do, writing nothing: mapping, units and why, the first rows (admin only)")
            .WithMetadata(new RequestSizeLimitAttribute(PreviewBytes));
        group.MapGet("/imports", Imports).WithName("AdminListImports").WithSummary("The latest imports with their counts and reports (admin only)");
        group.MapGet("/imports/{id}/rejections.csv", Rejections).WithName("AdminImportRejections")
            .WithSummary("An import's rejected lines as CSV: line, reason and the row as read (admin only)");
        group.MapGet("/listings/{id}/price-history", PriceHistory).WithName("AdminListingPriceHistory")
            .WithSummary("The prices a listing was offered at, oldest first (admin only)");
        group.MapPut("/listings/{id}/status", SetStatus).WithName("SetListingStatus")
            .WithSummary("Mark a listing sold (or active again); a sold listing leaves every precomputed recommendation list (admin only)");
        group.MapPost("/users/{id}/events", PostEventsAs).WithName("AdminPostEventsAsUser")
            .Accepts<System.Text.Json.JsonElement>("application/json")
            .WithSummary("Record activity events on a user's behalf, exactly as POST /api/events does for them (admin only: the console's test events)");
        return app;
    }

    private static async Task<Results<Accepted<EventsAcceptedDto>, ValidationProblem, NotFound>> PostEventsAs(string id, System.Text.Json.JsonElement body,
        HttpContext http, CarRecommenderDb db, Interactions.InteractionRecorder recorder, TimeProvider time, ILoggerFactory logs, CancellationToken ct)
    {
        if (!ListingEndpoints.TryParseId(id, out var userId, out var problem)) return problem;
        if (!await db.Users.AnyAsync(u => u.Id == userId, ct)) return TypedResults.NotFound();
        var errors = new Dictionary<string, string[]>();
        var events = await recorder.ParseAsync(body, userId, time.GetUtcNow(), errors, ct);
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);
        var result = await recorder.RecordAsync(userId, events, ct);
        logs.CreateLogger("CarRecommender.Api.Admin").LogInformation("Admin {AdminId} recorded {Count} events on behalf of user {UserId}",
            http.User.UserId(), result.Accepted.Count, userId);
        return TypedResults.Accepted((string?)null, new EventsAcceptedDto(result.Accepted.Count, result.Duplicates.Count, events.Select(e => e.EventId).ToList()));
    }

    private static async Task<Results<Ok<UserPageDto>, ValidationProblem>> Users(
        string? q, string? page, string? pageSize, CarRecommenderDb db, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        var p = PositiveInt(page, "page", 1, 100_000, 1, errors);
        var size = PositiveInt(pageSize, "pageSize", 1, 100, 25, errors);
        if (q is { Length: > 100 }) errors["q"] = ["q is longer than 100 characters."];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);

        var users = db.Users.AsNoTracking();
        if (!string.IsNullOrWhiteSpace(q))
        {
            var pattern = "%" + ListingFilterQuery.EscapeLike(q.Trim()) + "%";
            users = users.Where(u => EF.Functions.ILike(u.Email, pattern) || EF.Functions.ILike(u.DisplayName, pattern));
        }
        var total = await users.LongCountAsync(ct);
        var items = await users.OrderBy(u => u.Id).Skip((p - 1) * size).Take(size)
            .Select(u => new UserSummaryDto(u.Id, u.Email, u.DisplayName, u.Role.ToString(), u.City, u.InteractionCount, u.ContentVector != null,
                u.VectorsUpdatedAt))
            .ToListAsync(ct);
        return TypedResults.Ok(new UserPageDto(items, p, size, total));
    }

    private static async Task<Results<Ok<UserProfileDto>, ValidationProblem, NotFound>> UserById(string id, CarRecommenderDb db, CancellationToken ct)
    {
        if (!ListingEndpoints.TryParseId(id, out var userId, out var problem)) return problem;
        var profile = await UserEndpoints.ProfileAsync(db, userId, ct);
        return profile is null ? TypedResults.NotFound() : TypedResults.Ok(profile);
    }

    private static async Task<Results<Ok<ImportReport>, ValidationProblem>> Import(
        HttpRequest request, [FromQuery(Name = "map")] string[]? map, [FromQuery] string? source, [FromQuery] bool? sync, [FromQuery] string? units,
        [FromQuery] string? currency, [FromQuery] string? fileName, NpgsqlDataSource dataSource, Microsoft.Extensions.Options.IOptions<CurrencyRates> rates,
        TimeProvider time, CancellationToken ct)
    {
        var mapError = ListingCsvReader.ParseMap(map ?? [], out var mapping);
        var errors = new Dictionary<string, string[]>();
        if (mapError is not null) errors["map"] = [mapError];
        if (request.ContentLength == 0) errors["body"] = ["The CSV body is empty."];
        var optionsError = ImportOptionsParser.Parse(source, units, currency, rates.Value, out var parsed);
        foreach (var (key, message) in optionsError) errors[key] = [message];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);
        var name = Path.GetFileName(fileName?.Trim() ?? "");
        var options = parsed with
        {
            Map = mapping,
            Sync = sync ?? false,
            FileName = name.Length == 0 ? "upload.csv" : name[..Math.Min(200, name.Length)],
            StartedBy = request.HttpContext.User.OperatorName(),
        };

        // The CSV parser reads synchronously, which Kestrel forbids on the request body: spool it to a temp file first.
        var spool = Path.GetTempFileName();
        try
        {
            await using (var file = File.Create(spool))
                await request.Body.CopyToAsync(file, ct);
            return TypedResults.Ok(await CatalogueImport.ImportFileAsync(dataSource, spool, options, rates.Value, time.GetUtcNow(), null, ct));
        }
        finally
        {
            File.Delete(spool);
        }
    }

    private static async Task<Results<Ok<ImportPreview>, ValidationProblem>> Preview(
        HttpRequest request, [FromQuery(Name = "map")] string[]? map, [FromQuery] string? units, [FromQuery] string? currency,
        Microsoft.Extensions.Options.IOptions<CurrencyRates> rates, TimeProvider time, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (ListingCsvReader.ParseMap(map ?? [], out var mapping) is { } mapError) errors["map"] = [mapError];
        var optionErrors = ImportOptionsParser.Parse(null, units, currency, rates.Value, out var options);
        foreach (var (key, message) in optionErrors) errors[key] = [message];
        using var body = new StreamReader(request.Body, System.Text.Encoding.UTF8);
        var head = await body.ReadToEndAsync(ct);
        if (head.Length == 0) errors["body"] = ["The CSV body is empty."];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);
        return TypedResults.Ok(CatalogueImport.Preview(head, options with { Map = mapping }, rates.Value, time.GetUtcNow()));
    }

    private static async Task<Ok<List<ImportRunDto>>> Imports(CarRecommenderDb db, CancellationToken ct) =>
        TypedResults.Ok(await db.Imports.AsNoTracking().OrderByDescending(i => i.Id).Take(50)
            .Select(i => new ImportRunDto(i.Id, i.Source, i.FileName, i.StartedBy, i.StartedAt, i.DurationSeconds, i.Sync, i.RowsRead, i.Inserted,
                i.Updated, i.Unchanged, i.MarkedSold, i.Rejected, i.Report))
            .ToListAsync(ct));

    private static async Task<Results<FileContentHttpResult, NotFound, ValidationProblem>> Rejections(string id, CarRecommenderDb db, CancellationToken ct)
    {
        if (!ListingEndpoints.TryParseId(id, out var importId, out var problem)) return problem;
        if (!await db.Imports.AnyAsync(i => i.Id == importId, ct)) return TypedResults.NotFound();
        var rows = await db.ImportRejections.AsNoTracking().Where(r => r.ImportId == importId).OrderBy(r => r.Line).ToListAsync(ct);
        await using var text = new StringWriter(System.Globalization.CultureInfo.InvariantCulture);
        await using (var csv = new CsvHelper.CsvWriter(text, System.Globalization.CultureInfo.InvariantCulture))
        {
            csv.WriteField("line");
            csv.WriteField("reason");
            csv.WriteField("row");
            await csv.NextRecordAsync();
            foreach (var r in rows)
            {
                csv.WriteField(r.Line);
                csv.WriteField(r.Reason);
                csv.WriteField(r.Raw);
                await csv.NextRecordAsync();
            }
        }
        return TypedResults.File(System.Text.Encoding.UTF8.GetBytes(text.ToString()), "text/csv", $"import-{importId}-rejections.csv");
    }

    private static async Task<Results<Ok<List<PriceChangeDto>>, NotFound, ValidationProblem>> PriceHistory(string id, CarRecommenderDb db, CancellationToken ct)
    {
        if (!ListingEndpoints.TryParseId(id, out var listingId, out var problem)) return problem;
        if (!await db.Listings.AnyAsync(l => l.Id == listingId, ct)) return TypedResults.NotFound();
        return TypedResults.Ok(await db.PriceHistory.AsNoTracking().Where(p => p.ListingId == listingId).OrderBy(p => p.ChangedAt).ThenBy(p => p.Id)
            .Select(p => new PriceChangeDto(p.ChangedAt, p.AskingPrice, p.Currency, p.Price, p.PreviousPrice, p.ImportId)).ToListAsync(ct));
    }

    private static async Task<Results<NoContent, ValidationProblem, NotFound>> SetStatus(
        string id, ListingStatusInput? input, NpgsqlDataSource dataSource, CancellationToken ct)
    {
        if (!ListingEndpoints.TryParseId(id, out var listingId, out var problem)) return problem;
        if (input?.Status is not { } raw || !Enum.TryParse<ListingStatus>(raw.Trim(), ignoreCase: true, out var status) || !Enum.IsDefined(status)
            || raw.Trim().All(char.IsAsciiDigit))
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["status"] = ["status must be \"active\" or \"sold\"."] });

        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await using (var cmd = new NpgsqlCommand("UPDATE listings SET status = $1 WHERE id = $2", conn, tx))
        {
            cmd.Parameters.AddWithValue(status.ToString());
            cmd.Parameters.AddWithValue(listingId);
            if (await cmd.ExecuteNonQueryAsync(ct) == 0) return TypedResults.NotFound();
        }
        if (status == ListingStatus.Sold) await Core.Recommendation.Store.RecommendationStore.DropListingAsync(conn, tx, listingId, ct);
        await tx.CommitAsync(ct);
        return TypedResults.NoContent();
    }

    internal static int PositiveInt(string? raw, string name, int min, int max, int fallback, Dictionary<string, string[]> errors)
    {
        if (raw is null) return fallback;
        if (int.TryParse(raw, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var v) && v >= min && v <= max) return v;
        errors[name] = [$"{name} must be a whole number from {min} to {max}."];
        return fallback;
    }
}
