using Npgsql;

namespace CarRecommender.Core.Recommendation.Ranking;

/// <summary>The learned model that serves (null: none won its comparison yet) and its <c>ranker_models</c> id.</summary>
public sealed record ServedModel(long? Version, RankerModel? Model)
{
    public static readonly ServedModel None = new(null, null);
}

/// <summary>
/// The serving learned-ranker model, as the API and the worker share it: the row of <c>ranker_models</c> marked serving,
/// looked up at most every <see cref="PollInterval"/> (one indexed read) and loaded only when it changed, so a newly
/// serving model is picked up within seconds by every process without a message.
/// </summary>
public sealed class ServingRanker(NpgsqlDataSource dataSource, TimeProvider? clock = null)
{
    public static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(3);

    private readonly TimeProvider _clock = clock ?? TimeProvider.System;
    private readonly SemaphoreSlim _refresh = new(1, 1);
    private volatile ServedModel _current = ServedModel.None;
    private DateTimeOffset _checkedAt = DateTimeOffset.MinValue;

    /// <summary>The model as last read (no database round trip).</summary>
    public ServedModel Current => _current;

    /// <summary>The serving model, re-read when the last look is older than <see cref="PollInterval"/>.</summary>
    public async ValueTask<ServedModel> CurrentAsync(CancellationToken ct)
    {
        if (_clock.GetUtcNow() - _checkedAt < PollInterval) return _current;
        // one caller refreshes; the others serve what is known meanwhile
        if (!await _refresh.WaitAsync(0, ct)) return _current;
        try
        {
            await RefreshAsync(ct);
        }
        finally
        {
            _refresh.Release();
        }
        return _current;
    }

    /// <summary>Reads the serving model's id now, and its bytes when it changed.</summary>
    public async Task RefreshAsync(CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand("SELECT id FROM ranker_models WHERE serving");
        var id = await cmd.ExecuteScalarAsync(ct) as long?;
        if (id != _current.Version)
        {
            if (id is null) _current = ServedModel.None;
            else
            {
                await using var load = dataSource.CreateCommand("SELECT model FROM ranker_models WHERE id = $1");
                load.Parameters.AddWithValue(id.Value);
                var bytes = await load.ExecuteScalarAsync(ct) as byte[];
                var model = bytes is null ? null : RankerModel.Load(bytes);
                // a model trained on other features than this version computes does not serve here
                _current = model is not null && model.Fits(RankingFeatures.Names) ? new ServedModel(id, model) : ServedModel.None;
            }
        }
        _checkedAt = _clock.GetUtcNow();
    }
}
