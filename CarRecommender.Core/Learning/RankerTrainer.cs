using System.Text.Json;
using CarRecommender.Core.Data;
using CarRecommender.Core.Domain;
using CarRecommender.Core.Recommendation.Ranking;
using Npgsql;

namespace CarRecommender.Core.Learning;

/// <summary>The learned ranker's retraining: how often, on how much of the log, and what it must beat to serve.</summary>
public sealed record RankerSettings
{
    public const string SectionName = "Ranker";

    /// <summary>The worker retrains this often when users reacted to lists since the last model (0: never on its own).</summary>
    public double RetrainMinutes { get; init; } = 60;
    /// <summary>How far back served lists are read.</summary>
    public int HistoryDays { get; init; } = 30;
    /// <summary>The newest lists, held out for the comparison with the blend; the model learns from the older ones.</summary>
    public double TestDays { get; init; } = 2;
    public int MaxLists { get; init; } = 20_000;
    public RankerTrainingSettings Training { get; init; } = new() { Threads = 1 };
    public RankerGate Gate { get; init; } = new();
}

/// <summary>What a training run came to: the stored model (if one was trained), its comparison, whether it now serves.</summary>
public sealed record RankerTrainingReport(long? ModelId, int TrainingLists, RankerComparisonResult? Comparison, bool Serving, string Summary);

/// <summary>
/// Trains the learned ranker on the product's own log (<see cref="RankingLog"/>) with a temporal split: LambdaRank on
/// the older lists, position bias corrected by click-through by position, then the offline comparison with the blend on
/// the newest <see cref="RankerSettings.TestDays"/> days' lists. Every trained model is stored in <c>ranker_models</c>;
/// one that wins serves (and the one that served before stops), which the API and the worker pick up within seconds
/// (<see cref="ServingRanker"/>).
/// </summary>
public sealed class RankerTrainer(NpgsqlDataSource dataSource)
{
    /// <summary>Fewer training lists than this with a reaction are too few to learn from.</summary>
    public const int MinimumTrainingLists = 20;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task<RankerTrainingReport> TrainAsync(CarRecommenderDb db, RankerSettings settings, RankingOptions ranking, IProgress<LoadProgress>? progress,
        CancellationToken ct)
    {
        var now = DateTimeOffset.UtcNow;
        var lists = await RankingLog.ListsAsync(db, dataSource, now.AddDays(-settings.HistoryDays), settings.MaxLists, ranking, progress, ct);
        var split = now - TimeSpan.FromDays(settings.TestDays);
        var train = lists.Where(l => l.ServedAt < split).ToList();
        var test = lists.Where(l => l.ServedAt >= split).ToList();
        if (train.Count < MinimumTrainingLists)
            return new RankerTrainingReport(null, train.Count, null, false,
                $"{train.Count} served lists older than {settings.TestDays:0.#} days with a reaction: at least {MinimumTrainingLists} are needed to train.");

        progress?.Report(new LoadProgress("training LambdaRank", 0, 1));
        var clickThrough = await RankingLog.ClickThroughAsync(dataSource, now.AddDays(-settings.HistoryDays), ct);
        var propensity = PositionPropensity.FromClickThrough(clickThrough.Select(c => (c.Position, c.Impressions, c.Clicks)).ToList());
        var model = await Task.Run(() => RankerTraining.Train(train, settings.Training, propensity), ct);
        progress?.Report(new LoadProgress("comparing with the blend", 0, 1));
        var comparison = RankerComparison.Compare(test, model, settings.Gate);

        var record = new RankerModelRecord
        {
            TrainedAt = now,
            Model = model.Save(),
            Importances = JsonSerializer.Serialize(model.ByImportance().Select(x => new { feature = x.Feature, importance = x.Importance }), Json),
            Comparison = JsonSerializer.Serialize(comparison, Json),
            TrainingLists = train.Count,
            Wins = comparison.Wins,
            Serving = comparison.Wins,
        };
        var id = await SaveAsync(record, ct);
        var verdict = comparison.Wins ? "it serves" : "the blend (or the model serving before) stays";
        return new RankerTrainingReport(id, train.Count, comparison, comparison.Wins,
            $"Model {id} on {train.Count:N0} lists: NDCG@{comparison.Gate.K} {comparison.LearnedNdcg:0.000} against the blend's {comparison.BlendNdcg:0.000} "
            + $"on {comparison.Lists} newer lists (p = {comparison.PValue:0.0000}): {verdict}.");
    }

    /// <summary>Stores the model; a winner takes over serving in the same transaction.</summary>
    private async Task<long> SaveAsync(RankerModelRecord r, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        if (r.Serving)
        {
            await using var off = new NpgsqlCommand("UPDATE ranker_models SET serving = false WHERE serving", conn, tx);
            await off.ExecuteNonQueryAsync(ct);
        }
        await using var insert = new NpgsqlCommand("""
            INSERT INTO ranker_models (trained_at, model, importances, comparison, training_lists, wins, serving)
            VALUES ($1, $2, $3::jsonb, $4::jsonb, $5, $6, $7) RETURNING id
            """, conn, tx);
        insert.Parameters.AddWithValue(r.TrainedAt);
        insert.Parameters.AddWithValue(r.Model);
        insert.Parameters.AddWithValue(r.Importances);
        insert.Parameters.AddWithValue(r.Comparison);
        insert.Parameters.AddWithValue(r.TrainingLists);
        insert.Parameters.AddWithValue(r.Wins);
        insert.Parameters.AddWithValue(r.Serving);
        var id = (long)(await insert.ExecuteScalarAsync(ct))!;
        await tx.CommitAsync(ct);
        return id;
    }

    /// <summary>Whether users reacted to served lists since the newest model was trained (the scheduler's question).</summary>
    public async Task<bool> NewReactionsSinceLastModelAsync(CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand("""
            SELECT EXISTS (SELECT 1 FROM interactions
                           WHERE recommendation_id IS NOT NULL
                             AND recorded_at > coalesce((SELECT max(trained_at) FROM ranker_models), '-infinity'))
            """);
        return (bool)(await cmd.ExecuteScalarAsync(ct))!;
    }
}
