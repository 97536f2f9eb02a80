using CarRecommender.Core.Pricing;
using Npgsql;

namespace CarRecommender.Pipelines.Pricing;

/// <summary>A market's active model, loaded.</summary>
public sealed record ActivePriceModel(long Id, int Version, MarketPriceModel Model);

/// <summary>
/// The active price model of each market, loaded from its stored bytes once per version: each call asks which versions
/// are active (a read of a few rows) and loads only those it has not loaded yet.
/// </summary>
public sealed class ActivePriceModels(NpgsqlDataSource dataSource)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private Dictionary<string, ActivePriceModel> _loaded = new(StringComparer.OrdinalIgnoreCase);

    public async Task<IReadOnlyDictionary<string, ActivePriceModel>> CurrentAsync(CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            var active = new List<(string Market, long Id, int Version)>();
            await using (var cmd = dataSource.CreateCommand("SELECT market, id, version FROM price_models WHERE active AND model IS NOT NULL"))
            await using (var reader = await cmd.ExecuteReaderAsync(ct))
                while (await reader.ReadAsync(ct)) active.Add((reader.GetString(0), reader.GetInt64(1), reader.GetInt32(2)));
            var next = new Dictionary<string, ActivePriceModel>(StringComparer.OrdinalIgnoreCase);
            foreach (var (market, id, version) in active)
            {
                if (_loaded.TryGetValue(market, out var kept) && kept.Id == id)
                {
                    next[market] = kept;
                    continue;
                }
                await using var load = dataSource.CreateCommand("SELECT model FROM price_models WHERE id = $1");
                load.Parameters.AddWithValue(id);
                if (await load.ExecuteScalarAsync(ct) is byte[] bytes) next[market] = new ActivePriceModel(id, version, MarketPriceModel.Load(bytes));
            }
            _loaded = next;
            return next;
        }
        finally
        {
            _gate.Release();
        }
    }
}
