using System.Text.Json;
using CarRecommender.Api.Auth;
using CarRecommender.Core.Data;
using CarRecommender.Core.Recommendation.Ranking;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace CarRecommender.Api.Endpoints;

/// <summary>
/// The learned ranker as operators see it: click-through by position of the served lists (from the impressions clients
/// report), and the serving and newest models with their feature importances and offline comparison with the blend.
/// Training is a job (<c>train-ranker</c>, <see cref="JobEndpoints"/>).
/// </summary>
public static class RankerEndpoints
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static IEndpointRouteBuilder MapRankerEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/admin").WithTags("Admin").RequireAuthorization(AuthSetup.AdminPolicy);
        group.MapGet("/click-through", ClickThrough).WithName("AdminClickThrough")
            .WithSummary("Per position of the served lists: impressions, clicks (a view, save, share or contact from that list on that listing) "
                + "and click-through rate over the last ?days= (default 7, at most 90) (admin only)");
        group.MapGet("/ranker", Status).WithName("AdminRanker")
            .WithSummary("The learned ranker: the serving model (null while the blend ranks) and the newest trained, with feature importances "
                + "and the offline comparison with the blend (admin only)");
        return app;
    }

    private static async Task<Results<Ok<ClickThroughDto>, ValidationProblem>> ClickThrough(string? days, NpgsqlDataSource dataSource, TimeProvider time,
        CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        var n = AdminEndpoints.PositiveInt(days, "days", 1, 90, 7, errors);
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);
        var rows = await RankingLog.ClickThroughAsync(dataSource, time.GetUtcNow().AddDays(-n), ct);
        return TypedResults.Ok(new ClickThroughDto(n, rows.Select(r => new PositionClickThroughDto(r.Position, r.Impressions, r.Clicks, r.Rate)).ToList()));
    }

    private static async Task<Ok<RankerStatusDto>> Status(CarRecommenderDb db, CancellationToken ct)
    {
        var serving = await db.RankerModels.AsNoTracking().Where(m => m.Serving).Select(m => new { m.Id, m.TrainedAt, m.Serving, m.TrainingLists, m.Importances, m.Comparison })
            .FirstOrDefaultAsync(ct);
        var latest = await db.RankerModels.AsNoTracking().OrderByDescending(m => m.Id)
            .Select(m => new { m.Id, m.TrainedAt, m.Serving, m.TrainingLists, m.Importances, m.Comparison }).FirstOrDefaultAsync(ct);
        RankerModelDto? Dto(long id, DateTimeOffset trainedAt, bool isServing, int lists, string importances, string comparison)
        {
            var c = JsonSerializer.Deserialize<RankerComparisonResult>(comparison, Json)!;
            return new RankerModelDto(id, trainedAt, isServing, lists, JsonSerializer.Deserialize<List<FeatureImportanceDto>>(importances, Json) ?? [],
                new RankerComparisonDto(c.Lists, c.LearnedNdcg, c.BlendNdcg, c.PValue, c.Wins, c.Gate.Margin, c.Gate.K));
        }
        return TypedResults.Ok(new RankerStatusDto(
            serving is null ? null : Dto(serving.Id, serving.TrainedAt, serving.Serving, serving.TrainingLists, serving.Importances, serving.Comparison),
            latest is null ? null : Dto(latest.Id, latest.TrainedAt, latest.Serving, latest.TrainingLists, latest.Importances, latest.Comparison)));
    }
}
