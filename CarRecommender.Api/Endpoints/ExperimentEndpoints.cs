using System.Text.Json;
using CarRecommender.Api.Auth;
using CarRecommender.Api.Recommendations;
using CarRecommender.Core.Data;
using CarRecommender.Core.Domain;
using CarRecommender.Core.Recommendation.Experiments;
using CarRecommender.Core.Recommendation.Rules;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace CarRecommender.Api.Endpoints;

/// <summary>Online experiments (admin): create, start, stop, and read per-variant results.</summary>
public static class ExperimentEndpoints
{
    public static IEndpointRouteBuilder MapExperimentEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/admin/experiments").WithTags("Experiments").RequireAuthorization(AuthSetup.AdminPolicy);
        group.MapGet("/", List).WithName("ListExperiments").WithSummary("Every experiment, newest first (admin only)");
        group.MapPost("/", Create).WithName("CreateExperiment")
            .WithSummary("A draft experiment: named variants, each a share of users and sessions and the engine settings it overrides " +
                         "({\"ranking\": {…}, \"rules\": {…}, \"sources\": […]}); shares add up to 1")
            .ProducesProblem(StatusCodes.Status409Conflict);
        group.MapPost("/{id}/start", Start).WithName("StartExperiment")
            .WithSummary("Starts a draft experiment: from now on (within seconds in every process) users and sessions are served their variant; one runs at a time")
            .ProducesProblem(StatusCodes.Status409Conflict);
        group.MapPost("/{id}/stop", Stop).WithName("StopExperiment").WithSummary("Stops a running experiment for good (its results stay)")
            .ProducesProblem(StatusCodes.Status409Conflict);
        group.MapGet("/{id}/results", Results).WithName("ExperimentResults")
            .WithSummary("Per variant: lists served, users, clicks, saves, contacts; click-through and contact rate per list with 95 % Wilson " +
                         "intervals, and the two-proportion z-test's p-values against the first variant");
        return app;
    }

    private static async Task<Ok<List<ExperimentDto>>> List(CarRecommenderDb db, CancellationToken ct) =>
        TypedResults.Ok((await db.Experiments.AsNoTracking().OrderByDescending(e => e.Id).ToListAsync(ct)).Select(ToDto).ToList());

    private static async Task<Results<Created<ExperimentDto>, ValidationProblem, ProblemHttpResult>> Create(
        CreateExperimentDto? input, HttpContext http, CarRecommenderDb db, EngineSettings defaults, TimeProvider time, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        var name = input?.Name?.Trim() ?? "";
        if (name.Length is 0 or > 60 || name.Any(char.IsControl)) errors["name"] = ["A name of 1 to 60 characters is required."];
        if (input?.Description is { Length: > 500 }) errors["description"] = ["The description is longer than 500 characters."];
        var variants = (input?.Variants ?? []).Select(v => new VariantDefinition(v.Name?.Trim() ?? "", v.Share, v.Settings)).ToList();
        try
        {
            ExperimentRegistry.Resolve(0, name, variants, defaults);
        }
        catch (ArgumentException e)
        {
            errors["variants"] = [e.Message];
        }
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);

        var experiment = new Experiment
        {
            Name = name,
            Description = input!.Description?.Trim() ?? "",
            State = ExperimentStates.Draft,
            Variants = JsonSerializer.Serialize(variants, EngineSettings.Json),
            CreatedBy = http.User.OperatorName(),
            CreatedAt = time.GetUtcNow(),
        };
        db.Experiments.Add(experiment);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Name taken", detail: $"An experiment named '{name}' exists already.");
        }
        return TypedResults.Created($"/api/admin/experiments/{experiment.Id}", ToDto(experiment));
    }

    private static async Task<Results<Ok<ExperimentDto>, ValidationProblem, NotFound, ProblemHttpResult>> Start(
        string id, CarRecommenderDb db, ExperimentRegistry registry, TimeProvider time, ILoggerFactory logs, CancellationToken ct) =>
        await MoveAsync(id, ExperimentStates.Draft, ExperimentStates.Running, db, registry, time, logs, ct);

    private static async Task<Results<Ok<ExperimentDto>, ValidationProblem, NotFound, ProblemHttpResult>> Stop(
        string id, CarRecommenderDb db, ExperimentRegistry registry, TimeProvider time, ILoggerFactory logs, CancellationToken ct) =>
        await MoveAsync(id, ExperimentStates.Running, ExperimentStates.Stopped, db, registry, time, logs, ct);

    private static async Task<Results<Ok<ExperimentDto>, ValidationProblem, NotFound, ProblemHttpResult>> MoveAsync(
        string id, string from, string to, CarRecommenderDb db, ExperimentRegistry registry, TimeProvider time, ILoggerFactory logs, CancellationToken ct)
    {
        if (!ListingEndpoints.TryParseId(id, out var experimentId, out var problem)) return problem;
        var experiment = await db.Experiments.SingleOrDefaultAsync(e => e.Id == experimentId, ct);
        if (experiment is null) return TypedResults.NotFound();
        if (experiment.State != from)
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: $"Experiment is {experiment.State}",
                detail: $"Only a {from} experiment can be {(to == ExperimentStates.Running ? "started" : "stopped")}; '{experiment.Name}' is {experiment.State}.");
        experiment.State = to;
        if (to == ExperimentStates.Running) experiment.StartedAt = time.GetUtcNow();
        else experiment.StoppedAt = time.GetUtcNow();
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            var running = await db.Experiments.AsNoTracking().Where(x => x.State == ExperimentStates.Running).Select(x => x.Name).FirstOrDefaultAsync(ct);
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Another experiment is running",
                detail: $"'{running}' is running; stop it first (one experiment runs at a time).");
        }
        registry.Invalidate();
        logs.CreateLogger("CarRecommender.Api.Experiments").LogInformation("Experiment {ExperimentId} ({Name}) is now {State}", experiment.Id, experiment.Name, to);
        return TypedResults.Ok(ToDto(experiment));
    }

    private static async Task<Results<Ok<ExperimentResultsDto>, ValidationProblem, NotFound>> Results(
        string id, CarRecommenderDb db, NpgsqlDataSource dataSource, TimeProvider time, CancellationToken ct)
    {
        if (!ListingEndpoints.TryParseId(id, out var experimentId, out var problem)) return problem;
        var experiment = await db.Experiments.AsNoTracking().SingleOrDefaultAsync(e => e.Id == experimentId, ct);
        if (experiment is null) return TypedResults.NotFound();
        var dto = ToDto(experiment);
        var counts = await ExperimentResults.CountAsync(dataSource, experimentId, ct);
        return TypedResults.Ok(new ExperimentResultsDto(dto, ExperimentResults.PerVariant(dto.Variants, counts), time.GetUtcNow()));
    }

    private static ExperimentDto ToDto(Experiment e) => new(e.Id, e.Name, e.Description, e.State,
        (JsonSerializer.Deserialize<List<VariantDefinition>>(e.Variants, EngineSettings.Json) ?? [])
            .Select(v => new ExperimentVariantDto(v.Name, v.Share, v.Settings)).ToList(),
        e.CreatedBy, e.CreatedAt, e.StartedAt, e.StoppedAt);
}
