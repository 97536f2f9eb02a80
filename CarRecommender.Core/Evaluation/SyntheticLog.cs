using CarRecommender.Core.Domain;
using CarRecommender.Core.Seeding;

namespace CarRecommender.Core.Evaluation;

/// <summary>
/// A generated interaction log for offline evaluation without a database: a <see cref="CatalogueGenerator"/> catalogue
/// (listing ids 1…n), <see cref="InteractionGenerator"/> shoppers (user ids 1…n) and their events, aggregated by the
/// production strength rule (<see cref="InteractionLog.FromEvents"/>). Deterministic for a seed.
/// </summary>
public static class SyntheticLog
{
    /// <summary>The fixed as-of time, so the same seed gives the same log on any day.</summary>
    public static readonly DateTimeOffset AsOf = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static InteractionLog Create(int users, int listings, int seed) => CreateWithCatalogue(users, listings, seed).Log;

    /// <summary>The log and the catalogue it was generated over (listing ids 1…n), for recommenders that read listings.</summary>
    public static (InteractionLog Log, IReadOnlyList<Listing> Catalogue) CreateWithCatalogue(int users, int listings, int seed)
    {
        var catalogue = new CatalogueGenerator(seed, AsOf).Listings(listings).ToList();
        for (var i = 0; i < catalogue.Count; i++) catalogue[i].Id = i + 1;
        var generator = new InteractionGenerator(seed, AsOf);
        var shoppers = generator.Shoppers(catalogue, Enumerable.Range(1, users).Select(u => (long)u));
        return (InteractionLog.FromEvents(generator.Events(catalogue, shoppers)), catalogue);
    }
}
