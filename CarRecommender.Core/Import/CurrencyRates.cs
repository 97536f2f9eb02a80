namespace CarRecommender.Core.Import;

/// <summary>
/// Euros per unit of each currency a feed may price in: listings keep their asking price and currency, and are compared
/// (filters, ranking, the content vector) in euros converted with these rates at import. Configuration section
/// <c>Currencies:Rates</c> (e.g. <c>Currencies__Rates__GBP=1.16</c>) overrides or adds rates; the defaults are rounded
/// ECB euro reference rates of late 2025, to be kept current by the operator.
/// </summary>
public sealed class CurrencyRates
{
    public const string SectionName = "Currencies";

    public static readonly IReadOnlyDictionary<string, decimal> Defaults = new Dictionary<string, decimal>(StringComparer.OrdinalIgnoreCase)
    {
        ["EUR"] = 1m,
        ["GBP"] = 1.15m,
        ["USD"] = 0.86m,
        ["CHF"] = 1.07m,
        ["SEK"] = 0.091m,
        ["NOK"] = 0.085m,
        ["DKK"] = 0.134m,
        ["PLN"] = 0.235m,
        ["CZK"] = 0.041m,
        ["HUF"] = 0.0026m,
        ["RON"] = 0.197m,
    };

    /// <summary>Bound from configuration; merged over <see cref="Defaults"/>.</summary>
    public Dictionary<string, decimal> Rates { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    public IReadOnlyDictionary<string, decimal> Effective
    {
        get
        {
            var all = new Dictionary<string, decimal>(Defaults, StringComparer.OrdinalIgnoreCase);
            foreach (var (code, rate) in Rates) all[code] = rate;
            return all;
        }
    }

    /// <summary>The euros of <paramref name="amount"/> in <paramref name="currency"/>, or null for a currency without a rate.</summary>
    public int? ToEuros(double amount, string currency) =>
        Effective.TryGetValue(currency, out var rate) && rate > 0 ? (int)Math.Round(amount * (double)rate) : null;
}
