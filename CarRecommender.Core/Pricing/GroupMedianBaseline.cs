namespace CarRecommender.Core.Pricing;

/// <summary>
/// The estimate a price model has to beat: the median asking price of the same make + model + year among the rows it
/// was fitted on. A group nobody in those rows belongs to falls back to the median of the same make + model (any year),
/// then of the make, then of the whole market.
/// </summary>
public sealed class GroupMedianBaseline
{
    private readonly Dictionary<(string CarModel, int Year), float> _byYear;
    private readonly Dictionary<string, float> _byModel;
    private readonly Dictionary<string, float> _byMake;
    private readonly float _market;

    private GroupMedianBaseline(Dictionary<(string, int), float> byYear, Dictionary<string, float> byModel, Dictionary<string, float> byMake, float market)
    {
        _byYear = byYear;
        _byModel = byModel;
        _byMake = byMake;
        _market = market;
    }

    public static GroupMedianBaseline Fit(IEnumerable<PriceRow> rows)
    {
        var byYear = new Dictionary<(string, int), List<float>>();
        var byModel = new Dictionary<string, List<float>>();
        var byMake = new Dictionary<string, List<float>>();
        var all = new List<float>();
        foreach (var r in rows)
        {
            Add(byYear, (r.CarModel, (int)r.Year), r.Price);
            Add(byModel, r.CarModel, r.Price);
            Add(byMake, r.Make, r.Price);
            all.Add(r.Price);
        }
        return new GroupMedianBaseline(Medians(byYear), Medians(byModel), Medians(byMake), all.Count == 0 ? 0 : Median(all));
    }

    public float Estimate(PriceRow row) =>
        _byYear.TryGetValue((row.CarModel, (int)row.Year), out var p) ? p
        : _byModel.TryGetValue(row.CarModel, out p) ? p
        : _byMake.TryGetValue(row.Make, out p) ? p
        : _market;

    private static void Add<TKey>(Dictionary<TKey, List<float>> groups, TKey key, float price) where TKey : notnull
    {
        if (!groups.TryGetValue(key, out var prices)) groups[key] = prices = [];
        prices.Add(price);
    }

    private static Dictionary<TKey, float> Medians<TKey>(Dictionary<TKey, List<float>> groups) where TKey : notnull =>
        groups.ToDictionary(g => g.Key, g => Median(g.Value));

    private static float Median(List<float> values)
    {
        values.Sort();
        var n = values.Count;
        return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
    }
}
