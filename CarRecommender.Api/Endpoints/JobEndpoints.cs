using System.Globalization;
using CarRecommender.Api.Admin;
using CarRecommender.Api.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using RabbitMQ.Client;

namespace CarRecommender.Api.Endpoints;

/// <summary>
/// Operators' long-running jobs (an ALS retrain, the offline evaluation): the API records and queues them, the worker
/// runs them and writes their progress and outcome, and the console polls them here (<see cref="JobQueue"/>).
/// </summary>
public static class JobEndpoints
{
    public static IEndpointRouteBuilder MapJobEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/admin/jobs").WithTags("Admin").RequireAuthorization(AuthSetup.AdminPolicy);
        group.MapPost("/", Start).WithName("StartJob")
            .WithSummary("Ask the worker for a job: {\"kind\":\"retrain\"} (an ALS retrain) or {\"kind\":\"evaluate\"} (the offline evaluation) or {\"kind\":\"train-ranker\"} (the learned ranker); "
                + "202 with the queued job, 409 while one of that kind is queued or running (admin only)");
        group.MapGet("/{id}", ById).WithName("GetJob").WithSummary("One job: state, stage, percent, and its result or error (admin only)");
        group.MapGet("/", Latest).WithName("ListJobs").WithSummary("The newest jobs, of one ?kind= or all, ?limit= (default 10) (admin only)");
        return app;
    }

    private static async Task<Results<Accepted<JobDto>, ValidationProblem, ProblemHttpResult>> Start(JobRequest? request, HttpContext http, JobQueue jobs,
        IConnection connection, CancellationToken ct)
    {
        if (ParseKind(request?.Kind, required: true, out var kind) is { } invalid) return invalid;
        var start = await jobs.StartAsync(kind!, http.User.OperatorName(), connection, ct);
        if (start.Accepted is { } job) return TypedResults.Accepted($"/api/admin/jobs/{job.Id}", job);
        if (start.BusError is { } busError)
            return TypedResults.Problem(title: "The job could not be queued", statusCode: StatusCodes.Status503ServiceUnavailable,
                detail: $"The message bus did not take the job ({busError}); try again when RabbitMQ is back.");
        var running = start.Running;
        return TypedResults.Problem(title: $"A {kind} job is already {running?.State ?? "running"}", statusCode: StatusCodes.Status409Conflict,
            detail: running is null
                ? $"Another {kind} job was started at the same moment; follow it at GET /api/admin/jobs?kind={kind}."
                : $"Job {running.Id} ({running.Stage}, asked for by {running.RequestedBy}) is {running.State}; wait for it to finish (GET /api/admin/jobs/{running.Id}).",
            extensions: running is null ? null : new Dictionary<string, object?> { ["jobId"] = running.Id });
    }

    private static async Task<Results<Ok<JobDto>, ValidationProblem, NotFound>> ById(string id, JobQueue jobs, CancellationToken ct)
    {
        if (!ListingEndpoints.TryParseId(id, out var jobId, out var problem)) return problem;
        return await jobs.GetAsync(jobId, ct) is { } job ? TypedResults.Ok(job) : TypedResults.NotFound();
    }

    private static async Task<Results<Ok<List<JobDto>>, ValidationProblem>> Latest(string? kind, string? limit, JobQueue jobs, CancellationToken ct)
    {
        if (ParseKind(kind, required: false, out var parsed) is { } invalid) return invalid;
        var errors = new Dictionary<string, string[]>();
        var n = AdminEndpoints.PositiveInt(limit, "limit", 1, 100, 10, errors);
        return errors.Count > 0 ? TypedResults.ValidationProblem(errors) : TypedResults.Ok(await jobs.LatestAsync(parsed, n, ct));
    }

    /// <summary>A job kind, lower-cased; a problem naming the kinds when it is none of them (or missing when required).</summary>
    private static ValidationProblem? ParseKind(string? raw, bool required, out string? kind)
    {
        kind = raw?.Trim().ToLower(CultureInfo.InvariantCulture);
        if (kind is null or "" && !required)
        {
            kind = null;
            return null;
        }
        if (kind is not null && JobKinds.All.Contains(kind)) return null;
        return TypedResults.ValidationProblem(new Dictionary<string, string[]>
        {
            ["kind"] = [$"kind must be one of {string.Join(", ", JobKinds.All.Select(k => $"\"{k}\""))}."],
        });
    }
}
