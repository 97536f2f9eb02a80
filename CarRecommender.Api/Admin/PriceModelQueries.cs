using System.Text.Json;
using CarRecommender.Core.Pricing;
using Npgsql;

namespace CarRecommender.Api.Admin;

/// <summary>The console's view of the market price models: per market the versions with their metrics and the ratings' counts.</summary>
public static class PriceModelQueries
{
    /// <summary>Versions shown per market, newest first.</summary>
    public const int VersionsPerMarket = 20;

    public static async Task<List<PriceMarketDto>> MarketsAsync(NpgsqlDataSource dataSource, CancellationToken ct)
    {
        var versions = new List<PriceModelDto>();
        await using (var cmd = dataSource.CreateCommand($"""
            SELECT id, market, version, trained_at, rows, training_seconds, trigger, active, model IS NOT NULL, metrics::text
            FROM (SELECT *, row_number() OVER (PARTITION BY market ORDER BY version DESC) AS n FROM price_models) v
            WHERE n <= {VersionsPerMarket} ORDER BY market, version DESC
            """))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
            while (await r.ReadAsync(ct))
            {
                var cv = JsonSerializer.Deserialize<CrossValidation>(r.GetString(9), JsonSerializerOptions.Web);
                versions.Add(new PriceModelDto(r.GetInt64(0), r.GetString(1), r.GetInt32(2), r.GetFieldValue<DateTimeOffset>(3), r.GetInt32(4),
                    Math.Round(r.GetDouble(5), 2), r.GetString(6), r.GetBoolean(7), r.GetBoolean(8), cv?.Folds ?? 0, Accuracy(cv?.Model), Accuracy(cv?.Baseline)));
            }
        var ratings = new List<(string Market, string Rating, long Count)>();
        await using (var cmd = dataSource.CreateCommand("SELECT currency, rating, count(*) FROM listing_prices GROUP BY 1, 2"))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
            while (await r.ReadAsync(ct)) ratings.Add((r.GetString(0), r.GetString(1), r.GetInt64(2)));
        var names = Enum.GetValues<DealRating>().Select(DealRatings.Name).ToList();
        return versions.GroupBy(v => v.Market).Select(g => new PriceMarketDto(g.Key, g.FirstOrDefault(v => v.Active), g.ToList(),
                names.Select(n => new DealRatingCountDto(n, ratings.Where(x => x.Market == g.Key && x.Rating == n).Sum(x => x.Count))).ToList()))
            .ToList();
    }

    private static PriceAccuracyDto? Accuracy(PriceAccuracy? a) => a is null ? null
        : new PriceAccuracyDto(Math.Round(a.MeanAbsoluteError, 2), Math.Round(a.MedianAbsolutePercentageError, 4), Math.Round(a.MeanAbsolutePercentageError, 4));
}
